// A small GraphQL-over-HTTP client for the same-origin `/graphql` endpoint.
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
import { ApiError, type GraphQLErrorItem } from './errors';

/** A typed operation from src/gql/graphql.ts (a string carrying its result and variable types). */
export type Operation<TResult, TVariables> = DocumentTypeDecoration<TResult, TVariables> & { toString(): string };

export interface ClientOptions {
  /** Endpoint URL; default `/graphql` (same origin). */
  endpoint?: string;
  /** The current bearer token, or null when signed out. */
  getToken: () => string | null;
  /** Called when a request that carried a token is answered UNAUTHENTICATED (expired, revoked, disabled). */
  onUnauthenticated?: () => void;
  /** fetch implementation (tests inject one). */
  fetch?: typeof fetch;
}

export interface RequestOptions {
  signal?: AbortSignal;
}

export interface GraphQLClient {
  request<TResult, TVariables>(
    op: Operation<TResult, TVariables>,
    ...args: VariablesArgs<TVariables>
  ): Promise<TResult>;
}

/** Variables may be left out when the operation has no required ones. */
type VariablesArgs<V> = {} extends V
  ? [variables?: V, options?: RequestOptions]
  : [variables: V, options?: RequestOptions];

/** The operation's name (`query Movies(...)` → `Movies`), sent as `operationName` for server metrics. */
export function operationName(document: string): string | undefined {
  return /\b(?:query|mutation|subscription)\s+([_A-Za-z][_0-9A-Za-z]*)/.exec(document)?.[1];
}

export function createClient(opts: ClientOptions): GraphQLClient {
  const endpoint = opts.endpoint ?? '/graphql';
  return {
    async request<TResult, TVariables>(
      op: Operation<TResult, TVariables>,
      ...args: VariablesArgs<TVariables>
    ): Promise<TResult> {
      const [variables, options] = args as [TVariables | undefined, RequestOptions | undefined];
      const doFetch = opts.fetch ?? globalThis.fetch.bind(globalThis);
      const query = op.toString();
      const token = opts.getToken();
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json, application/json;q=0.9',
      };
      if (token) headers.authorization = `Bearer ${token}`;

      let res: Response;
      try {
        res = await doFetch(endpoint, {
          method: 'POST',
          headers,
          body: JSON.stringify({ query, variables: variables ?? {}, operationName: operationName(query) }),
          credentials: 'same-origin',
          signal: options?.signal ?? null,
        });
      } catch (e) {
        if (e instanceof Error && e.name === 'AbortError') throw e;
        throw new ApiError('NETWORK_ERROR', e instanceof Error ? e.message : String(e));
      }

      let body: { data?: TResult | null; errors?: GraphQLErrorItem[] } | undefined;
      try {
        body = (await res.json()) as typeof body;
      } catch {
        body = undefined;
      }
      if (!body || typeof body !== 'object') {
        const code = res.status === 401 ? 'UNAUTHENTICATED' : res.status === 403 ? 'FORBIDDEN' : 'BAD_RESPONSE';
        const err = new ApiError(code, `HTTP ${res.status}`, [], res.status);
        if (code === 'UNAUTHENTICATED' && token) opts.onUnauthenticated?.();
        throw err;
      }
      if (Array.isArray(body.errors) && body.errors.length > 0) {
        const err = ApiError.fromErrors(body.errors, res.status);
        if (token && body.errors.some((e) => e.extensions?.code === 'UNAUTHENTICATED')) {
          opts.onUnauthenticated?.();
        }
        throw err;
      }
      if (body.data == null) {
        throw new ApiError('BAD_RESPONSE', `HTTP ${res.status} without data`, [], res.status);
      }
      return body.data;
    },
  };
}
