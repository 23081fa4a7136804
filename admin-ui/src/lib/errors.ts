// Errors from the API, each identified by its stable `extensions.code`.

/** One entry of a GraphQL response's `errors`. */
export interface GraphQLErrorItem {
  message: string;
  path?: ReadonlyArray<string | number>;
  extensions?: { code?: string; [key: string]: unknown };
}

/** Codes the Rust server emits (src/error.rs), plus two the client produces itself. */
export type ErrorCode =
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'BAD_USER_INPUT'
  | 'CONFLICT'
  | 'INTERNAL'
  | 'NETWORK_ERROR'
  | 'BAD_RESPONSE'
  | (string & {});

const MESSAGES: Record<string, string> = {
  UNAUTHENTICATED: 'Your session has expired or the credentials are wrong. Please sign in again.',
  FORBIDDEN: 'Your role is not allowed to do this.',
  NOT_FOUND: 'It was not found; it may have been deleted.',
  BAD_USER_INPUT: 'The request was not valid.',
  CONFLICT: 'This conflicts with existing data.',
  INTERNAL: 'The server had a problem. Please try again later.',
  NETWORK_ERROR: 'The server could not be reached. Check your connection and try again.',
  BAD_RESPONSE: 'The server sent an unexpected answer.',
};

/** A failed API call: the first error's code decides how the console reacts. */
export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly errors: readonly GraphQLErrorItem[];
  readonly status: number | undefined;

  constructor(code: ErrorCode, message: string, errors: readonly GraphQLErrorItem[] = [], status?: number) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.errors = errors;
    this.status = status;
  }

  /** Builds an ApiError from a response's `errors` (codes missing: BAD_USER_INPUT, as the server does). */
  static fromErrors(errors: readonly GraphQLErrorItem[], status?: number): ApiError {
    const first = errors[0];
    const code = typeof first?.extensions?.code === 'string' ? first.extensions.code : 'BAD_USER_INPUT';
    return new ApiError(code, first?.message ?? 'Unknown error', errors, status);
  }
}

/** A readable sentence for an error code. */
export function messageForCode(code: string): string {
  return MESSAGES[code] ?? 'Something went wrong.';
}

/**
 * What to show a person for any thrown value: a title from the code and, for input and
 * conflict errors, the server's own message (which names the field).
 */
export function describeError(err: unknown): { code: ErrorCode; title: string; detail: string | null } {
  if (err instanceof ApiError) {
    const title = messageForCode(err.code);
    const showDetail = ['BAD_USER_INPUT', 'CONFLICT', 'NOT_FOUND'].includes(err.code) || !(err.code in MESSAGES);
    const messages = err.errors.length > 0 ? err.errors.map((e) => e.message) : [err.message];
    const details = showDetail ? [...new Set(messages.filter(Boolean))].join(' ') : '';
    return { code: err.code, title, detail: details && details !== title ? details : null };
  }
  if (err instanceof Error && err.name === 'AbortError') {
    return { code: 'ABORTED', title: 'The request was cancelled.', detail: null };
  }
  return { code: 'INTERNAL', title: messageForCode('INTERNAL'), detail: err instanceof Error ? err.message : null };
}
