import { describe, expect, it, vi } from 'vitest';
import { createClient, operationName } from '../src/lib/client';
import { ApiError, describeError } from '../src/lib/errors';
import { CatalogueStatsDocumentForTest, LoginDocument } from './fixtures';

function jsonResponse(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

function setup(opts: { token?: string | null; respond: (init: RequestInit) => Response | Promise<Response> }) {
  const calls: Array<{ url: string; init: RequestInit }> = [];
  const onUnauthenticated = vi.fn();
  const client = createClient({
    getToken: () => opts.token ?? null,
    onUnauthenticated,
    fetch: (async (url: string, init: RequestInit) => {
      calls.push({ url, init });
      return opts.respond(init);
    }) as unknown as typeof fetch,
  });
  return { client, calls, onUnauthenticated };
}

describe('GraphQL client', () => {
  it('posts the operation with its name and variables and returns data', async () => {
    const { client, calls } = setup({
      token: 'tok',
      respond: () => jsonResponse({ data: { login: { token: 't', role: 'ADMIN', expiresAt: '2030-01-01T00:00:00Z' } } }),
    });
    const r = await client.request(LoginDocument, { input: { email: 'a@b.c', password: 'pw' } });
    expect(r.login.role).toBe('ADMIN');
    expect(calls).toHaveLength(1);
    expect(calls[0]!.url).toBe('/graphql');
    const body = JSON.parse(String(calls[0]!.init.body));
    expect(body.operationName).toBe('Login');
    expect(body.variables).toEqual({ input: { email: 'a@b.c', password: 'pw' } });
    expect(body.query).toContain('login(input: $input)');
  });

  it('sends the bearer token only when signed in', async () => {
    const signedIn = setup({ token: 'abc', respond: () => jsonResponse({ data: { catalogueStats: { movies: 1 } } }) });
    await signedIn.client.request(CatalogueStatsDocumentForTest);
    expect((signedIn.calls[0]!.init.headers as Record<string, string>).authorization).toBe('Bearer abc');

    const anonymous = setup({ token: null, respond: () => jsonResponse({ data: { catalogueStats: { movies: 1 } } }) });
    await anonymous.client.request(CatalogueStatsDocumentForTest);
    expect((anonymous.calls[0]!.init.headers as Record<string, string>).authorization).toBeUndefined();
  });

  it('throws an ApiError carrying extensions.code', async () => {
    const { client, onUnauthenticated } = setup({
      token: 'tok',
      respond: () => jsonResponse({ data: null, errors: [{ message: 'forbidden', extensions: { code: 'FORBIDDEN' } }] }),
    });
    const err = await client.request(CatalogueStatsDocumentForTest).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe('FORBIDDEN');
    expect(onUnauthenticated).not.toHaveBeenCalled();
  });

  it('treats partial data with errors as a failure', async () => {
    const { client } = setup({
      token: 'tok',
      respond: () =>
        jsonResponse({ data: { catalogueStats: null }, errors: [{ message: 'bad', extensions: { code: 'INTERNAL' } }] }),
    });
    await expect(client.request(CatalogueStatsDocumentForTest)).rejects.toMatchObject({ code: 'INTERNAL' });
  });

  it('defaults a missing code to BAD_USER_INPUT, as the server does', async () => {
    const { client } = setup({ respond: () => jsonResponse({ errors: [{ message: 'Unknown field' }] }, 400) });
    await expect(client.request(CatalogueStatsDocumentForTest)).rejects.toMatchObject({ code: 'BAD_USER_INPUT', status: 400 });
  });

  it('reports UNAUTHENTICATED (HTTP 401 body) so the session can end', async () => {
    const { client, onUnauthenticated } = setup({
      token: 'expired',
      respond: () => jsonResponse({ errors: [{ message: 'authentication required', extensions: { code: 'UNAUTHENTICATED' } }] }, 401),
    });
    await expect(client.request(CatalogueStatsDocumentForTest)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(onUnauthenticated).toHaveBeenCalledOnce();
  });

  it('does not end a session for a failed sign-in (no token sent)', async () => {
    const { client, onUnauthenticated } = setup({
      token: null,
      respond: () => jsonResponse({ data: null, errors: [{ message: 'wrong', extensions: { code: 'UNAUTHENTICATED' } }] }),
    });
    await expect(client.request(LoginDocument, { input: { email: 'a@b.c', password: 'x' } })).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(onUnauthenticated).not.toHaveBeenCalled();
  });

  it('maps a non-JSON 401 to UNAUTHENTICATED and other bodies to BAD_RESPONSE', async () => {
    const a = setup({ token: 't', respond: () => new Response('nope', { status: 401 }) });
    await expect(a.client.request(CatalogueStatsDocumentForTest)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(a.onUnauthenticated).toHaveBeenCalledOnce();
    const b = setup({ token: 't', respond: () => new Response('<html>gateway</html>', { status: 502 }) });
    await expect(b.client.request(CatalogueStatsDocumentForTest)).rejects.toMatchObject({ code: 'BAD_RESPONSE', status: 502 });
  });

  it('maps a failed fetch to NETWORK_ERROR but lets aborts through', async () => {
    const { client } = setup({
      respond: () => {
        throw new TypeError('Failed to fetch');
      },
    });
    await expect(client.request(CatalogueStatsDocumentForTest)).rejects.toMatchObject({ code: 'NETWORK_ERROR' });

    const aborted = setup({
      respond: () => {
        throw new DOMException('aborted', 'AbortError');
      },
    });
    await expect(aborted.client.request(CatalogueStatsDocumentForTest)).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('finds operation names', () => {
    expect(operationName('query Movies($first: Int!) { movies { totalCount } }')).toBe('Movies');
    expect(operationName('  mutation DeleteMovie($input: DeleteMovieInput!) { deleteMovie(input: $input) { deleted } }')).toBe('DeleteMovie');
    expect(operationName('{ catalogueStats { movies } }')).toBeUndefined();
  });
});

describe('describeError', () => {
  it('gives each code a readable title', () => {
    expect(describeError(new ApiError('FORBIDDEN', 'forbidden')).title).toMatch(/role is not allowed/);
    expect(describeError(new ApiError('UNAUTHENTICATED', 'x')).title).toMatch(/sign in again/);
    expect(describeError(new ApiError('NETWORK_ERROR', 'x')).title).toMatch(/could not be reached/);
    expect(describeError(new ApiError('INTERNAL', 'db exploded')).detail).toBeNull();
  });

  it("shows the server's message for input errors", () => {
    const e = ApiError.fromErrors([{ message: 'genre names must be 1 to 200 characters', extensions: { code: 'BAD_USER_INPUT' } }]);
    expect(describeError(e)).toMatchObject({ code: 'BAD_USER_INPUT', detail: 'genre names must be 1 to 200 characters' });
  });

  it('handles unknown codes and plain errors', () => {
    expect(describeError(new ApiError('RATE_LIMITED', 'slow down'))).toMatchObject({ title: 'Something went wrong.', detail: 'slow down' });
    expect(describeError(new Error('boom'))).toMatchObject({ code: 'INTERNAL', detail: 'boom' });
  });
});
