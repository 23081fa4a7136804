// React glue: the session and the GraphQL client, shared through context, and two hooks.
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, useSyncExternalStore, type ReactNode } from 'react';
import { createClient, type GraphQLClient, type Operation } from './client';
import { ApiError } from './errors';
import { SessionStore, type Session, type SignOutReason } from './session';

interface ApiContextValue {
  store: SessionStore;
  client: GraphQLClient;
}

const ApiContext = createContext<ApiContextValue | null>(null);

export function ApiProvider({ store, children }: { store: SessionStore; children: ReactNode }) {
  const value = useMemo<ApiContextValue>(
    () => ({ store, client: createClient({ getToken: () => store.token(), onUnauthenticated: () => store.expire() }) }),
    [store],
  );
  return <ApiContext.Provider value={value}>{children}</ApiContext.Provider>;
}

function useApi(): ApiContextValue {
  const v = useContext(ApiContext);
  if (!v) throw new Error('ApiProvider missing');
  return v;
}

export function useClient(): GraphQLClient {
  return useApi().client;
}

export function useSessionStore(): SessionStore {
  return useApi().store;
}

/**
 * The current session (null when signed out), why it ended, and the session that lapsed
 * while the console was open (the console asks that account to sign in again).
 */
export function useSession(): { session: Session | null; reason: SignOutReason; lapsed: Session | null } {
  const { store } = useApi();
  const session = useSyncExternalStore(
    (l) => store.subscribe(l),
    () => store.current,
    () => store.current,
  );
  return { session, reason: store.lastReason, lapsed: store.lapsedSession };
}

const isUnauthenticated = (e: unknown) => e instanceof ApiError && e.code === 'UNAUTHENTICATED';

/** Calls `f` each time a session starts again (signing in over a lapsed one). */
function useOnSignIn(f: () => void) {
  const { store } = useApi();
  const ref = useRef(f);
  ref.current = f;
  useEffect(() => store.subscribe((s) => s && ref.current()), [store]);
}

export interface QueryState<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
  /** Replaces the data locally (after a mutation). */
  setData: (update: (prev: T | undefined) => T | undefined) => void;
}

/** Runs a query when its variables change; cancels the previous request. Pass `skip` to wait. */
export function useQuery<TResult, TVariables>(
  op: Operation<TResult, TVariables>,
  variables: TVariables,
  opts: { skip?: boolean } = {},
): QueryState<TResult> {
  const client = useClient();
  const key = JSON.stringify(variables ?? {});
  const [state, setState] = useState<{ data: TResult | undefined; error: unknown; loading: boolean }>({
    data: undefined,
    error: undefined,
    loading: !opts.skip,
  });
  const [nonce, setNonce] = useState(0);
  const varsRef = useRef(variables);
  varsRef.current = variables;

  useEffect(() => {
    if (opts.skip) return;
    const ctrl = new AbortController();
    setState((s) => ({ ...s, loading: true, error: undefined }));
    // The variables' identity changes every render; `key` is their value.
    (client.request as (o: typeof op, v: TVariables, r: { signal: AbortSignal }) => Promise<TResult>)(op, varsRef.current, {
      signal: ctrl.signal,
    }).then(
      (data) => {
        if (!ctrl.signal.aborted) setState({ data, error: undefined, loading: false });
      },
      (error: unknown) => {
        if (!ctrl.signal.aborted) setState((s) => ({ data: s.data, error, loading: false }));
      },
    );
    return () => ctrl.abort();
  }, [client, op, key, nonce, opts.skip]);

  const reload = useCallback(() => setNonce((n) => n + 1), []);
  // A query refused because the session lapsed runs again once the person has signed in again.
  useOnSignIn(() => {
    if (!opts.skip && isUnauthenticated(state.error)) reload();
  });
  const setData = useCallback((update: (prev: TResult | undefined) => TResult | undefined) => {
    setState((s) => ({ ...s, data: update(s.data) }));
  }, []);
  return { ...state, reload, setData };
}

/** A mutation runner with its own pending flag and last error. */
export function useMutation<TResult, TVariables>(op: Operation<TResult, TVariables>) {
  const client = useClient();
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const run = useCallback(
    async (variables: TVariables): Promise<TResult | undefined> => {
      setPending(true);
      setError(undefined);
      try {
        return await (client.request as (o: typeof op, v: TVariables) => Promise<TResult>)(op, variables);
      } catch (e) {
        setError(e);
        return undefined;
      } finally {
        setPending(false);
      }
    },
    [client, op],
  );
  // After signing in again, "your session has expired" no longer applies: the person retries.
  useOnSignIn(() => {
    if (isUnauthenticated(error)) setError(undefined);
  });
  return { run, pending, error, clearError: () => setError(undefined) };
}
