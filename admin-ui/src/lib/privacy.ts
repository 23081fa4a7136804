// Data deletion requests: labels, due dates, allowed actions, the outcome table and exports.
import type { DeletionStatus } from '../gql/graphql';

export const DELETION_STATUSES: readonly DeletionStatus[] = ['PENDING', 'APPROVED', 'REJECTED', 'COMPLETED'];

export const DELETION_STATUS_LABELS: Readonly<Record<DeletionStatus, string>> = {
  PENDING: 'Pending',
  APPROVED: 'Approved',
  REJECTED: 'Rejected',
  COMPLETED: 'Completed',
};

export function isDeletionStatus(s: string | null): s is DeletionStatus {
  return s !== null && (DELETION_STATUSES as readonly string[]).includes(s);
}

/** Who the request is about: the user's external id, or the kept opaque id once they are gone. */
export function requestUserLabel(r: { user?: { externalId: string } | null; userRef?: string | null }): string {
  return r.user?.externalId ?? r.userRef ?? '—';
}

/** "user" → "The user"; "staff:7" → "Staff #7". */
export function requestedByLabel(s: string | null | undefined): string {
  if (!s) return '—';
  if (s === 'user') return 'The user';
  const m = /^staff:(.+)$/.exec(s);
  return m ? `Staff #${m[1]}` : s;
}

/** Which actions a request's status allows (the server checks again). */
export function deletionActions(status: DeletionStatus): { approve: boolean; reject: boolean; complete: boolean } {
  return { approve: status === 'PENDING', reject: status === 'PENDING', complete: status === 'APPROVED' };
}

/** Open requests are due; closed ones are not. */
export function isOpen(status: DeletionStatus): boolean {
  return status === 'PENDING' || status === 'APPROVED';
}

/** "Overdue by 3 days", "Due today", "Due in 5 days"; null for closed requests. */
export function dueText(r: { status: DeletionStatus; dueAt: string; overdue: boolean }, now: number = Date.now()): string | null {
  if (!isOpen(r.status)) return null;
  const ms = Date.parse(r.dueAt.replace(/(\.\d{3})\d+/, '$1')) - now;
  if (!Number.isFinite(ms)) return null;
  const days = Math.floor(Math.abs(ms) / 86_400_000);
  const plural = (n: number) => `${n} day${n === 1 ? '' : 's'}`;
  if (r.overdue || ms < 0) return days === 0 ? 'Overdue' : `Overdue by ${plural(days)}`;
  return days === 0 ? 'Due today' : `Due in ${plural(days)}`;
}

/** The completed request's `outcome` (rows deleted per table) as sorted rows with a total. */
export function outcomeRows(outcome: unknown): { rows: Array<{ table: string; count: number }>; total: number } {
  const rows: Array<{ table: string; count: number }> = [];
  if (typeof outcome === 'object' && outcome !== null && !Array.isArray(outcome)) {
    for (const [table, v] of Object.entries(outcome as Record<string, unknown>)) {
      if (typeof v === 'number' && Number.isFinite(v)) rows.push({ table, count: v });
    }
  }
  rows.sort((a, b) => a.table.localeCompare(b.table));
  return { rows, total: rows.reduce((s, r) => s + r.count, 0) };
}

export function validateRejectReason(reason: string): string | undefined {
  const t = reason.trim();
  if (!t) return 'A reason is required to reject a request.';
  if ([...t].length > 1000) return 'The reason must be at most 1000 characters.';
  return undefined;
}

/** "marquee-user-ml_42-2026-11-22.json": safe characters only. */
export function exportFileName(label: string, now: Date = new Date()): string {
  const safe = label.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 60) || 'user';
  return `marquee-user-${safe}-${now.toISOString().slice(0, 10)}.json`;
}

/** The export's file content: indented JSON with a final newline. */
export function exportFileContent(data: unknown): string {
  return `${JSON.stringify(data, null, 2)}\n`;
}
