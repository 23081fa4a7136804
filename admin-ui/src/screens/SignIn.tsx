import { useState, type FormEvent } from 'react';
import { ErrorMessage } from '../components/ErrorMessage';
import { TextField } from '../components/Field';
import { LoginDocument } from '../gql/graphql';
import { useMutation, useSession, useSessionStore } from '../lib/api';
import { ApiError } from '../lib/errors';
import { validateSignIn } from '../lib/movieForm';

export function SignIn() {
  const store = useSessionStore();
  const { reason } = useSession();
  const login = useMutation(LoginDocument);
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [errors, setErrors] = useState<{ email?: string; password?: string }>({});

  async function submit(e: FormEvent) {
    e.preventDefault();
    const errs = validateSignIn(email, password);
    setErrors(errs);
    if (errs.email || errs.password) return;
    const r = await login.run({ input: { email: email.trim(), password } });
    if (r) {
      store.signIn({ token: r.login.token, role: r.login.role, expiresAt: r.login.expiresAt, email: email.trim() });
    }
  }

  const wrongCredentials = login.error instanceof ApiError && login.error.code === 'UNAUTHENTICATED';
  return (
    <main id="main" className="sign-in">
      <form onSubmit={submit} noValidate aria-labelledby="sign-in-title">
        <h1 id="sign-in-title">Marquee admin — sign in</h1>
        {reason === 'expired' && !login.error && (
          <p className="notice" role="status">
            Your session expired. Please sign in again.
          </p>
        )}
        {reason === 'signed-out' && !login.error && (
          <p className="notice" role="status">
            You have signed out.
          </p>
        )}
        {wrongCredentials ? (
          <div className="error" role="alert" data-code="UNAUTHENTICATED">
            <p>
              <strong>Wrong email or password.</strong>
            </p>
          </div>
        ) : (
          <ErrorMessage error={login.error} />
        )}
        <TextField
          label="Email"
          type="email"
          name="email"
          autoComplete="username"
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          error={errors.email}
          required
        />
        <TextField
          label="Password"
          type="password"
          name="password"
          autoComplete="current-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          error={errors.password}
          required
        />
        <button type="submit" disabled={login.pending}>
          {login.pending ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
