// Dates in forms: `<input type="datetime-local">` holds a wall-clock time in the browser's
// zone ("2026-11-22T14:30"); the API takes and returns RFC 3339 instants in UTC.

const LOCAL_INPUT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/;

/** "2026-11-22T14:30" (local wall clock) → "2026-11-22T13:30:00.000Z"; null when empty or invalid. */
export function localInputToIso(value: string): string | null {
  const m = LOCAL_INPUT.exec(value.trim());
  if (!m) return null;
  const [y, mo, d, h, mi, s] = m.slice(1).map((x) => (x === undefined ? 0 : Number(x))) as number[];
  const date = new Date(y!, mo! - 1, d!, h!, mi!, s!);
  // Reject rolled-over values such as 2026-02-30.
  if (date.getFullYear() !== y || date.getMonth() !== mo! - 1 || date.getDate() !== d) return null;
  return date.toISOString();
}

const pad = (n: number) => String(n).padStart(2, '0');

/** An instant from the API → the value for a datetime-local input in the browser's zone ("" for none). */
export function isoToLocalInput(iso: string | null | undefined): string {
  if (!iso) return '';
  // The server may send nanoseconds; Date takes milliseconds.
  const d = new Date(iso.replace(/(\.\d{3})\d+/, '$1'));
  if (Number.isNaN(d.getTime())) return '';
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export interface ScheduleValues {
  /** datetime-local values; empty = open-ended. */
  startsAt: string;
  endsAt: string;
}

export interface ParsedSchedule {
  startsAt: string | null;
  endsAt: string | null;
}

/** Validates a schedule form; the end must come after the start. */
export function parseSchedule(v: ScheduleValues): { errors: { startsAt?: string; endsAt?: string }; parsed: ParsedSchedule | null } {
  const errors: { startsAt?: string; endsAt?: string } = {};
  const startsAt = v.startsAt.trim() ? localInputToIso(v.startsAt) : null;
  const endsAt = v.endsAt.trim() ? localInputToIso(v.endsAt) : null;
  if (v.startsAt.trim() && !startsAt) errors.startsAt = 'Enter a valid date and time.';
  if (v.endsAt.trim() && !endsAt) errors.endsAt = 'Enter a valid date and time.';
  if (startsAt && endsAt && Date.parse(endsAt) <= Date.parse(startsAt)) errors.endsAt = 'The end must be after the start.';
  if (errors.startsAt || errors.endsAt) return { errors, parsed: null };
  return { errors, parsed: { startsAt, endsAt } };
}

/** "from … until …" for a schedule, in the browser's zone; "Always" when open on both ends. */
export function describeSchedule(
  startsAt: string | null | undefined,
  endsAt: string | null | undefined,
  format: (iso: string) => string = (iso) => new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' }),
): string {
  if (!startsAt && !endsAt) return 'Always';
  if (startsAt && endsAt) return `${format(startsAt)} – ${format(endsAt)}`;
  return startsAt ? `From ${format(startsAt)}` : `Until ${format(endsAt!)}`;
}

/** Whole days from `now` until `iso` (negative when past), rounding toward the past. */
export function daysUntil(iso: string, now: number = Date.now()): number {
  return Math.floor((Date.parse(iso.replace(/(\.\d{3})\d+/, '$1')) - now) / 86_400_000);
}
