// The audit log's filters, kept in the URL (instants as UTC ISO strings, so a shared link
// means the same period in every time zone) and turned into AuditFilterInput.
import type { ActorKind, AuditFilterInput } from '../gql/graphql';
import { isoToLocalInput, localInputToIso } from './dates';

export type { ActorKind };
/** The ActorKind enum's values, in the order the filter offers them. */
export const ACTOR_KINDS: readonly ActorKind[] = ['USER', 'STAFF', 'SYSTEM'];
export const ACTOR_KIND_LABELS: Readonly<Record<ActorKind, string>> = { USER: 'User', STAFF: 'Staff', SYSTEM: 'System' };

export interface AuditFilters {
  action: string;
  actorKind: ActorKind | '';
  targetType: string;
  targetId: string;
  /** UTC ISO instants, or ''. */
  since: string;
  until: string;
}

export const EMPTY_AUDIT_FILTERS: AuditFilters = { action: '', actorKind: '', targetType: '', targetId: '', since: '', until: '' };

function validIso(s: string | null): string {
  if (!s) return '';
  const t = Date.parse(s);
  return Number.isFinite(t) ? new Date(t).toISOString() : '';
}

export function auditFiltersFromQuery(q: URLSearchParams): AuditFilters {
  const actor = (q.get('actor') ?? '').toUpperCase();
  return {
    action: (q.get('action') ?? '').trim(),
    actorKind: (ACTOR_KINDS as readonly string[]).includes(actor) ? (actor as ActorKind) : '',
    targetType: (q.get('target') ?? '').trim(),
    targetId: (q.get('targetId') ?? '').trim(),
    since: validIso(q.get('since')),
    until: validIso(q.get('until')),
  };
}

export function auditFiltersToQuery(f: AuditFilters): string {
  const q = new URLSearchParams();
  if (f.action.trim()) q.set('action', f.action.trim());
  if (f.actorKind) q.set('actor', f.actorKind);
  if (f.targetType.trim()) q.set('target', f.targetType.trim());
  if (f.targetId.trim()) q.set('targetId', f.targetId.trim());
  if (f.since) q.set('since', f.since);
  if (f.until) q.set('until', f.until);
  const s = q.toString();
  return s ? `?${s}` : '';
}

export function toAuditFilterInput(f: AuditFilters): AuditFilterInput {
  const input: AuditFilterInput = {};
  if (f.action.trim()) input.action = f.action.trim();
  if (f.actorKind) input.actorKind = f.actorKind;
  if (f.targetType.trim()) input.targetType = f.targetType.trim();
  if (f.targetId.trim()) input.targetId = f.targetId.trim();
  if (f.since) input.since = f.since;
  if (f.until) input.until = f.until;
  return input;
}

/** The filter form: like AuditFilters but with datetime-local values. */
export type AuditFilterForm = AuditFilters;

export function auditFormFromFilters(f: AuditFilters): AuditFilterForm {
  return { ...f, since: isoToLocalInput(f.since), until: isoToLocalInput(f.until) };
}

export function parseAuditForm(form: AuditFilterForm): { errors: { since?: string; until?: string }; filters: AuditFilters | null } {
  const errors: { since?: string; until?: string } = {};
  const since = form.since.trim() ? localInputToIso(form.since) : '';
  const until = form.until.trim() ? localInputToIso(form.until) : '';
  if (since === null) errors.since = 'Enter a valid date and time.';
  if (until === null) errors.until = 'Enter a valid date and time.';
  if (since && until && Date.parse(until) <= Date.parse(since)) errors.until = '“Until” must be after “since”.';
  if (errors.since || errors.until || since === null || until === null) return { errors, filters: null };
  return { errors, filters: { ...form, action: form.action.trim(), targetType: form.targetType.trim(), targetId: form.targetId.trim(), since, until } };
}

/** Details JSON, indented for reading; "—" for none. */
export function formatDetails(details: unknown): string {
  if (details === null || details === undefined) return '—';
  return JSON.stringify(details, null, 2);
}

/** "Staff ana@example.org (admin)" / "User demo-0001" / "Staff #3 (admin)" once the name is gone / "System". */
export function describeActor(e: { actorKind: ActorKind; actorId?: number | null; actorRole?: string | null; actorName?: string | null }): string {
  const kind = ACTOR_KIND_LABELS[e.actorKind] ?? e.actorKind;
  const who = e.actorName ? ` ${e.actorName}` : e.actorId != null ? ` #${e.actorId}` : '';
  const role = e.actorRole ? ` (${e.actorRole.toLowerCase()})` : '';
  return `${kind}${who}${role}`;
}
