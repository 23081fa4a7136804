// Signing in again without leaving the screen: the dialog shown over a screen whose session
// lapsed (or, on request, before it ends), and the banner warning that the session ends soon.
import { useEffect, useId, useMemo, useRef, useState, type FormEvent } from 'react';
import { LoginDocument } from '../gql/graphql';
import { useSessionStore } from '../lib/api';
import { createClient } from '../lib/client';
import { ApiError } from '../lib/errors';
import { confirmLeave, navigate } from '../lib/router';
import { expiryWarning, type Session } from '../lib/session';
import { ErrorMessage } from './ErrorMessage';
import { TextField } from './Field';
import { Modal } from './Modal';

/**
 * Asks `session.email` for their password and starts a new session for them; the screen under
 * the dialog stays mounted, so nothing typed is lost.
 *
 * - `expired`: the session has ended. The dialog cannot be dismissed; "Sign out" leaves
 *   (asking first when something is unsaved).
 * - `renew`: the session still works; "Not now" closes the dialog.
 */
export function ReauthDialog({ session, mode, onClose }: { session: Session; mode: 'expired' | 'renew'; onClose?: () => void }) {
  const store = useSessionStore();
  // Without the old token: a wrong password must not end a session that still works.
  const client = useMemo(() => createClient({ getToken: () => null }), []);
  const [password, setPassword] = useState('');
  const [fieldError, setFieldError] = useState<string | undefined>();
  const [error, setError] = useState<unknown>(undefined);
  const [pending, setPending] = useState(false);
  const passwordRef = useRef<HTMLInputElement>(null);
  const noticeId = useId();

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!password) {
      setFieldError('Password is required.');
      passwordRef.current?.focus();
      return;
    }
    setFieldError(undefined);
    setError(undefined);
    setPending(true);
    try {
      const r = await client.request(LoginDocument, { input: { email: session.email, password } });
      setPassword('');
      store.signIn({ token: r.login.token, role: r.login.role, expiresAt: r.login.expiresAt, email: session.email });
      onClose?.();
    } catch (err) {
      setError(err);
      passwordRef.current?.focus();
    } finally {
      setPending(false);
    }
  }

  async function signOut() {
    if (!(await confirmLeave())) return;
    store.signOut('signed-out');
    navigate('/', { replace: true, force: true });
  }

  const wrongPassword = error instanceof ApiError && error.code === 'UNAUTHENTICATED';
  return (
    <Modal
      open
      title={mode === 'expired' ? 'Sign in again to continue' : 'Stay signed in'}
      className="reauth"
      initialFocus={passwordRef}
      describedBy={noticeId}
      onCancel={mode === 'renew' ? onClose : undefined}
    >
      <p id={noticeId} className="notice">
        {mode === 'expired'
          ? 'Your session expired. Enter your password to carry on: this page stays as it is, with anything you have not saved yet.'
          : 'Enter your password to start a new session; this page stays as it is.'}
      </p>
      <form className="stack" onSubmit={submit} noValidate aria-label="Sign in again">
        {wrongPassword ? (
          <div className="error" role="alert" data-code="UNAUTHENTICATED">
            <p>
              <strong>Wrong password, or this account can no longer sign in.</strong>
            </p>
          </div>
        ) : (
          <ErrorMessage error={error} />
        )}
        <TextField label="Email" type="email" name="email" autoComplete="username" value={session.email} readOnly />
        <TextField
          ref={passwordRef}
          label="Password"
          type="password"
          name="password"
          autoComplete="current-password"
          value={password}
          error={fieldError}
          onChange={(e) => setPassword(e.target.value)}
          required
        />
        <div className="actions">
          <button type="submit" disabled={pending}>
            {pending ? 'Signing in…' : 'Sign in'}
          </button>
          {mode === 'expired' ? (
            <button type="button" className="secondary" onClick={signOut}>
              Sign out
            </button>
          ) : (
            <button type="button" className="secondary" onClick={onClose}>
              Not now
            </button>
          )}
        </div>
      </form>
    </Modal>
  );
}

/** The current time, updated every `ms`. */
function useNow(ms: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}

/**
 * A polite warning in the last minutes of a session, with a button to sign in again before
 * it ends. Always rendered (empty until then) so screen readers announce it when it appears.
 */
export function SessionExpiryBanner({ session }: { session: Session }) {
  const now = useNow(15_000);
  const warning = expiryWarning(session, now);
  const [renewing, setRenewing] = useState(false);
  return (
    <>
      <div className="session-banner-slot" role="status">
        {warning && (
          <div className="warning session-banner">
            <p>
              <strong>{warning}</strong> Save your work, or sign in again to keep going.
            </p>
            <button type="button" className="secondary small" onClick={() => setRenewing(true)}>
              Sign in again now
            </button>
          </div>
        )}
      </div>
      {renewing && <ReauthDialog session={session} mode="renew" onClose={() => setRenewing(false)} />}
    </>
  );
}
