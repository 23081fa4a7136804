import { useState, type FormEvent } from 'react';
import { ErrorMessage } from '../components/ErrorMessage';
import { TextField } from '../components/Field';
import { formatDate } from '../components/format';
import { CreateStaffDocument, StaffAccountsDocument, UpdateStaffDocument, type StaffRole, type StaffRowFragment } from '../gql/graphql';
import { useMutation, useQuery } from '../lib/api';
import { ROLE_LABELS } from '../lib/roles';
import type { Session } from '../lib/session';
import { MIN_PASSWORD, selfChangeBlocked, STAFF_ROLES, validateStaffForm, type StaffFormErrors, type StaffFormValues } from '../lib/staffForm';

export function Staff({ session }: { session: Session }) {
  const q = useQuery(StaffAccountsDocument, {});
  const update = useMutation(UpdateStaffDocument);
  const [status, setStatus] = useState('');
  const [pendingId, setPendingId] = useState<string | null>(null);

  const replace = (a: StaffRowFragment) =>
    q.setData((d) => d && { staffAccounts: d.staffAccounts.map((s) => (s.id === a.id ? a : s)) });

  async function change(a: StaffRowFragment, input: { role?: StaffRole; disabled?: boolean }) {
    const blocked = selfChangeBlocked(session.email, a, input);
    if (blocked) {
      setStatus(blocked);
      return;
    }
    setPendingId(a.id);
    setStatus('');
    const r = await update.run({ id: a.id, input });
    setPendingId(null);
    if (!r) return;
    replace(r.updateStaff);
    setStatus(
      input.role
        ? `${a.email} is now ${ROLE_LABELS[r.updateStaff.role]}.`
        : `${a.email} is ${r.updateStaff.disabled ? 'disabled: their sessions end and they cannot sign in' : 'enabled again'}.`,
    );
  }

  const accounts = [...(q.data?.staffAccounts ?? [])].sort((a, b) => a.email.localeCompare(b.email));
  return (
    <>
      <h1 tabIndex={-1}>Staff</h1>
      <p className="status" role="status" aria-live="polite">
        {status}
      </p>
      <ErrorMessage error={update.error} />
      <ErrorMessage error={q.error} onRetry={q.reload} />
      <div className="table-wrap" aria-busy={q.loading}>
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
                      value={a.role}
                      disabled={self || pendingId === a.id}
                      title={self ? 'You cannot change your own role.' : undefined}
                      onChange={(e) => change(a, { role: e.target.value as StaffRole })}
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
                      onClick={() => change(a, { disabled: !a.disabled })}
                      aria-label={`${a.disabled ? 'Enable' : 'Disable'}: ${a.email}`}
                    >
                      {a.disabled ? 'Enable' : 'Disable'}
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
      </div>
      <AddStaff
        onCreated={(a) => {
          q.setData((d) => d && { staffAccounts: [...d.staffAccounts, a] });
          setStatus(`${a.email} was added as ${ROLE_LABELS[a.role]}.`);
        }}
      />
    </>
  );
}

const EMPTY: StaffFormValues = { email: '', password: '', role: '' };

function AddStaff({ onCreated }: { onCreated: (a: StaffRowFragment) => void }) {
  const [v, setV] = useState<StaffFormValues>(EMPTY);
  const [errors, setErrors] = useState<StaffFormErrors>({});
  const create = useMutation(CreateStaffDocument);

  async function submit(e: FormEvent) {
    e.preventDefault();
    const { errors: errs, input } = validateStaffForm(v);
    setErrors(errs);
    if (!input) return;
    const r = await create.run({ input });
    if (r) {
      setV(EMPTY);
      onCreated(r.createStaff);
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
