// Which user a preview is for: by external id (what the frontends call them, and what
// editors know) or by opaque id. Kept in the URL as `?external=…` or `?user=…`.

export type UserRefKind = 'external' | 'id';

export interface UserRef {
  kind: UserRefKind;
  value: string;
}

/** The user named by a location's query, if any (`user` wins when both are present). */
export function userRefFromQuery(query: URLSearchParams): UserRef | null {
  const id = query.get('user')?.trim();
  if (id) return { kind: 'id', value: id };
  const external = query.get('external')?.trim();
  if (external) return { kind: 'external', value: external };
  return null;
}

/** The query string part naming `ref`, e.g. `external=demo-0004`. */
export function userRefQuery(ref: UserRef): string {
  return `${ref.kind === 'id' ? 'user' : 'external'}=${encodeURIComponent(ref.value)}`;
}

/** GraphQL variables `userId` / `externalId` for a preview query. */
export function userRefVariables(ref: UserRef): { userId?: string; externalId?: string } {
  return ref.kind === 'id' ? { userId: ref.value } : { externalId: ref.value };
}
