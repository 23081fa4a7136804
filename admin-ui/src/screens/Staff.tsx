import { useRef, useState, type FormEvent } from 'react';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { ErrorMessage } from '../components/ErrorMessage';
import { TextField } from '../components/Field';
import { Modal } from '../components/Modal';
import { TableWrap } from '../components/TableWrap';
import { formatDate } from '../components/format';
import { CreateStaffDocument, StaffAccountsDocument, UpdateStaffDocument, type StaffRole, type StaffRowFragment } from '../gql/graphql';
import { useMutation, useQuery } from '../lib/api';
import { ROLE_LABELS, ROLE_SCOPES } from '../lib/roles';
import type { Session } from '../lib/session';
import {
  generatePassword,
  MIN_PASSWORD,
  passwordError,
  roleChange,
  selfChangeBlocked,
  STAFF_ROLES,
  validateStaffForm,
  type StaffFormErrors,
  type StaffFormValues,
} from '../lib/staffForm';
import { sameValues, useUnsavedChanges } from '../lib/unsaved';

/** A change waiting for the admin's confirmation. */
type Pending = { kind: 'role'; account: StaffRowFragment; role: StaffRole } | { kind: 'disable'; account: StaffRowFragment };

export function Staff({ session }: { session: Session }) {
  const q = useQuery(StaffAccountsDocument, {});
  const update = useMutation(UpdateStaffDocument);
  const [status, setStatus] = useState('');
  const [pendingId, setPendingId] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<Pending | null>(null);
  const [resetting, setResetting] = useState<StaffRowFragment | null>(null);

  const replace = (a: StaffRowFragment) =>
    q.setData((d) => d && { staffAccounts: d.staffAccounts.map((s) => (s.id === a.id ? a : s)) });

  /** Sends the change; true when it was applied. */
  async function change(a: StaffRowFragment, input: { role?: StaffRole; disabled?: boolean }): Promise<boolean> {
    const blocked = selfChangeBlocked(session.email, a, input);
    if (blocked) {
      setStatus(blocked);
      return false;
    }
    setPendingId(a.id);
    setStatus('');
    const r = await update.run({ input: { id: a.id, ...input } });
    setPendingId(null);
    if (!r) return false;
    const saved = r.updateStaff.staffAccount;
    replace(saved);
    setStatus(
      input.role
        ? `${a.email} is now ${ROLE_LABELS[saved.role]}.`
        : `${a.email} is ${saved.disabled ? 'disabled: their sessions end and they cannot sign in' : 'enabled again'}.`,
    );
    return true;
  }

  /** Role changes and disabling ask first; enabling an account does not. */
  function ask(p: Pending) {
    const blocked = selfChangeBlocked(session.email, p.account, p.kind === 'role' ? { role: p.role } : { disabled: true });
    if (blocked) {
      setStatus(blocked);
      return;
    }
    update.clearError();
    setConfirming(p);
  }

  async function confirm() {
    if (!confirming) return;
    const ok = await change(confirming.account, confirming.kind === 'role' ? { role: confirming.role } : { disabled: true });
    // On failure the dialog stays open with the error; Cancel restores the row.
    if (ok) setConfirming(null);
  }

  const accounts = [...(q.data?.staffAccounts ?? [])].sort((a, b) => a.email.localeCompare(b.email));
  return (
    <>
      <h1 tabIndex={-1}>Staff</h1>
      <p className="status" role="status" aria-live="polite">
        {status}
      </p>
      {!confirming && <ErrorMessage error={update.error} />}
      <ErrorMessage error={q.error} onRetry={q.reload} />
      <TableWrap label="Staff accounts" busy={q.loading}>
        <table className="data">
          <caption className="visually-hidden">Staff accounts</caption>
          <thead>
            <tr>
              <th scope="col">Email</th>
              <th scope="col">Role</th>
              <th scope="col">Status</th>
              <th scope="col">Created</th>
              <th scope="col">Last sign-in</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {accounts.map((a) => {
              const self = a.email.toLowerCase() === session.email.toLowerCase();
              // While a role change waits for confirmation the select shows it; Cancel puts the old one back.
              const shownRole = confirming?.kind === 'role' && confirming.account.id === a.id ? confirming.role : a.role;
              return (
                <tr key={a.id} data-staff-email={a.email}>
                  <th scope="row">
                    {a.email}
                    {self && <span className="hint"> (you)</span>}
                  </th>
                  <td>
                    <label className="visually-hidden" htmlFor={`role-${a.id}`}>
                      Role of {a.email}
                    </label>
                    <select
                      id={`role-${a.id}`}
                      value={shownRole}
                      disabled={self || pendingId === a.id}
                      title={self ? 'You cannot change your own role.' : undefined}
                      onChange={(e) => {
                        const role = e.target.value as StaffRole;
                        if (role !== a.role) ask({ kind: 'role', account: a, role });
                      }}
                    >
                      {STAFF_ROLES.map((r) => (
                        <option key={r} value={r}>
                          {ROLE_LABELS[r]}
                        </option>
                      ))}
                    </select>
                  </td>
                  <td>
                    <span className={`pill ${a.disabled ? 'off' : 'ok'}`} data-disabled={a.disabled}>
                      {a.disabled ? 'Disabled' : 'Active'}
                    </span>
                  </td>
                  <td>{formatDate(a.createdAt)}</td>
                  <td>{formatDate(a.lastLoginAt)}</td>
                  <td className="row-actions">
                    <button
                      type="button"
                      className={a.disabled ? 'secondary small' : 'danger small'}
                      disabled={(self && !a.disabled) || pendingId === a.id}
                      title={self ? 'You cannot disable your own account.' : undefined}
                      onClick={() => (a.disabled ? void change(a, { disabled: false }) : ask({ kind: 'disable', account: a }))}
                      aria-label={`${a.disabled ? 'Enable' : 'Disable'}: ${a.email}`}
                    >
                      {a.disabled ? 'Enable' : 'Disable…'}
                    </button>
                    <button type="button" className="secondary small" onClick={() => setResetting(a)} aria-label={`Reset password: ${a.email}`}>
                      Reset password…
                    </button>
                  </td>
                </tr>
              );
            })}
            {q.data && accounts.length === 0 && (
              <tr>
                <td colSpan={6}>No staff accounts.</td>
              </tr>
            )}
          </tbody>
        </table>
      </TableWrap>
      <AddStaff
        onCreated={(a) => {
          q.setData((d) => d && { staffAccounts: [...d.staffAccounts, a] });
          setStatus(`${a.email} was added as ${ROLE_LABELS[a.role]}.`);
        }}
      />

      <ConfirmDialog
        open={confirming !== null}
        title={confirming?.kind === 'disable' ? 'Disable this account?' : 'Change this role?'}
        confirmLabel={confirming?.kind === 'disable' ? 'Disable account' : 'Change role'}
        pending={update.pending}
        onConfirm={confirm}
        onCancel={() => {
          setConfirming(null);
          update.clearError();
        }}
      >
        {confirming?.kind === 'role' && (
          <>
            <p>
              <strong>{confirming.account.email}</strong>: <span data-role-change="">{roleChange(confirming.account.role, confirming.role)}</span>.
            </p>
            <p>
              As {ROLE_LABELS[confirming.role]} they may use {ROLE_SCOPES[confirming.role]}.
            </p>
          </>
        )}
        {confirming?.kind === 'disable' && (
          <p>
            <strong>{confirming.account.email}</strong> ({ROLE_LABELS[confirming.account.role]}) is signed out and cannot sign in until an admin
            enables the account again.
          </p>
        )}
        <ErrorMessage error={update.error} />
      </ConfirmDialog>

      {resetting && (
        <ResetPasswordDialog
          account={resetting}
          onClose={() => setResetting(null)}
          onReset={(a) => setStatus(`The password of ${a.email} was reset.`)}
        />
      )}
    </>
  );
}

/**
 * Sets a new password for an account: generated (20 random characters, shown once with a copy
 * button) or typed by the admin (at least MIN_PASSWORD characters).
 */
function ResetPasswordDialog({
  account,
  onClose,
  onReset,
}: {
  account: StaffRowFragment;
  onClose: () => void;
  onReset: (a: StaffRowFragment) => void;
}) {
  const update = useMutation(UpdateStaffDocument);
  const [mode, setMode] = useState<'generate' | 'type'>('generate');
  const [typed, setTyped] = useState('');
  const [error, setError] = useState<string | undefined>();
  /** The generated password once it is set: shown this one time. */
  const [shown, setShown] = useState<string | null>(null);
  const [copyStatus, setCopyStatus] = useState('');
  const generateRef = useRef<HTMLInputElement>(null);
  const typedRef = useRef<HTMLInputElement>(null);
  const shownRef = useRef<HTMLInputElement>(null);

  useUnsavedChanges(
    shown !== null || typed !== '',
    shown !== null ? `The new password of ${account.email} is shown only once.` : `The new password of ${account.email} is not set yet.`,
  );

  async function submit(e: FormEvent) {
    e.preventDefault();
    let password: string;
    if (mode === 'type') {
      const err = passwordError(typed);
      setError(err ?? undefined);
      if (err) {
        typedRef.current?.focus();
        return;
      }
      password = typed;
    } else {
      password = generatePassword();
    }
    const r = await update.run({ input: { id: account.id, password } });
    if (!r) return;
    onReset(r.updateStaff.staffAccount);
    setTyped('');
    if (mode === 'generate') {
      setShown(password);
      requestAnimationFrame(() => shownRef.current?.select());
    } else {
      onClose();
    }
  }

  async function copy() {
    if (!shown) return;
    try {
      await navigator.clipboard.writeText(shown);
      setCopyStatus('Copied to the clipboard.');
    } catch {
      shownRef.current?.select();
      setCopyStatus('Copying was refused: the password is selected, press Ctrl+C (⌘C) to copy it.');
    }
  }

  const done = () => {
    setShown(null);
    onClose();
  };

  if (shown !== null) {
    return (
      <Modal open title={`New password for ${account.email}`} onCancel={done} initialFocus={shownRef} className="reset-password">
        <div className="stack">
          <div className="field">
            <label htmlFor="reset-shown">New password</label>
            <div className="copy-row">
              <input id="reset-shown" ref={shownRef} className="secret" readOnly value={shown} aria-describedby="reset-shown-hint" />
              <button type="button" className="secondary" onClick={copy}>
                Copy
              </button>
            </div>
            <p id="reset-shown-hint" className="hint">
              Shown only this once: give it to them through a safe channel.
            </p>
          </div>
          <p className="status" role="status" aria-live="polite">
            {copyStatus}
          </p>
          <div className="actions">
            <button type="button" onClick={done}>
              Done
            </button>
          </div>
        </div>
      </Modal>
    );
  }

  return (
    <Modal open title={`Reset the password of ${account.email}`} onCancel={onClose} initialFocus={generateRef} className="reset-password">
      <form className="stack" onSubmit={submit} noValidate aria-label="Reset password">
        <fieldset className="plain-fieldset">
          <legend className="group-label">New password</legend>
          <label className="check">
            <input ref={generateRef} type="radio" name="reset-mode" checked={mode === 'generate'} onChange={() => setMode('generate')} />
            Generate a strong password (shown once, with a copy button)
          </label>
          <label className="check">
            <input type="radio" name="reset-mode" checked={mode === 'type'} onChange={() => setMode('type')} />
            Type a password
          </label>
        </fieldset>
        {mode === 'type' && (
          <TextField
            ref={typedRef}
            label="Password"
            type="password"
            name="resetPassword"
            autoComplete="new-password"
            value={typed}
            error={error}
            hint={`At least ${MIN_PASSWORD} characters.`}
            onChange={(e) => setTyped(e.target.value)}
          />
        )}
        <p className="hint">Their current password stops working at once.</p>
        <ErrorMessage error={update.error} />
        <div className="actions">
          <button type="button" className="secondary" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" disabled={update.pending}>
            {update.pending ? 'Resetting…' : 'Reset password'}
          </button>
        </div>
      </form>
    </Modal>
  );
}

const EMPTY: StaffFormValues = { email: '', password: '', role: '' };

function AddStaff({ onCreated }: { onCreated: (a: StaffRowFragment) => void }) {
  const [v, setV] = useState<StaffFormValues>(EMPTY);
  const [errors, setErrors] = useState<StaffFormErrors>({});
  const create = useMutation(CreateStaffDocument);
  useUnsavedChanges(!sameValues(v, EMPTY), 'The new staff account is not added yet.');

  async function submit(e: FormEvent) {
    e.preventDefault();
    const { errors: errs, input } = validateStaffForm(v);
    setErrors(errs);
    if (!input) return;
    const r = await create.run({ input });
    if (r) {
      setV(EMPTY);
      onCreated(r.createStaff.staffAccount);
    }
  }

  return (
    <form className="movie-form sub-form" onSubmit={submit} noValidate aria-labelledby="add-staff-title">
      <h2 id="add-staff-title" className="field-wide">
        Add staff
      </h2>
      <TextField label="Email" type="email" name="staffEmail" autoComplete="off" value={v.email} error={errors.email} onChange={(e) => setV({ ...v, email: e.target.value })} />
      <TextField
        label="Initial password"
        type="password"
        name="staffPassword"
        autoComplete="new-password"
        value={v.password}
        error={errors.password}
        hint={`At least ${MIN_PASSWORD} characters. Share it safely; they should change it.`}
        onChange={(e) => setV({ ...v, password: e.target.value })}
      />
      <div className="field">
        <label htmlFor="staff-role">Role</label>
        <select id="staff-role" value={v.role} aria-invalid={errors.role ? true : undefined} onChange={(e) => setV({ ...v, role: e.target.value as StaffRole })}>
          <option value="">Choose a role…</option>
          {STAFF_ROLES.map((r) => (
            <option key={r} value={r}>
              {ROLE_LABELS[r]}
            </option>
          ))}
        </select>
        {errors.role && <p className="field-error">{errors.role}</p>}
      </div>
      <ErrorMessage error={create.error} />
      <div className="actions field-wide">
        <button type="submit" disabled={create.pending}>
          {create.pending ? 'Adding…' : 'Add staff'}
        </button>
      </div>
    </form>
  );
}
