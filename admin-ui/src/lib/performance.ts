// Editorial performance (collectionPerformance, placementPerformance): the period presets, the
// join of the API's rows to the collections, pins and boost rules a screen lists, and how the
// rates read (the experiments' formats: "12.34 %", "10.00 % – 14.68 %").
import type { EditorialPerformanceFieldsFragment, ExperimentMetric } from '../gql/graphql';
import { formatInterval, formatMetricValue } from './experiments';

export type PerformanceRow = EditorialPerformanceFieldsFragment;
export type RateEstimate = NonNullable<PerformanceRow['clickThrough']>;

/** Which id a row carries: a collection's, a pin's, or a boost rule's. */
export type PerformanceKey = 'collectionId' | 'placementId' | 'ruleId';

export const PERIOD_PRESETS: ReadonlyArray<{ days: number; label: string }> = [
  { days: 7, label: 'Last 7 days' },
  { days: 30, label: 'Last 30 days' },
];
export const DEFAULT_PERIOD_DAYS = 7;
/** The API answers for at most this many days at once. */
export const MAX_PERIOD_DAYS = 92;

export function periodLabel(days: number): string {
  return PERIOD_PRESETS.find((p) => p.days === days)?.label ?? `Last ${days} days`;
}

/**
 * `[from, to)` for the last `days` days up to now, in whole minutes (so asking twice in the
 * same minute asks the same question), clamped to what the API accepts.
 */
export function periodRange(days: number, now: number = Date.now()): { from: string; to: string } {
  const d = Math.min(Math.max(1, Math.round(days)), MAX_PERIOD_DAYS);
  const to = Math.ceil(now / 60_000) * 60_000;
  return { from: new Date(to - d * 86_400_000).toISOString(), to: new Date(to).toISOString() };
}

export interface JoinedPerformance<T> {
  item: T;
  /** null: nothing of it was served in the period (shown as "—", not 0 %). */
  performance: PerformanceRow | null;
}

/**
 * Each listed item with its row (by `key`), in the list's order, and how many rows concern
 * items the list does not show (another page, another surface, deleted since).
 */
export function joinPerformance<T>(
  items: readonly T[],
  idOf: (item: T) => string,
  rows: readonly PerformanceRow[] | null | undefined,
  key: PerformanceKey,
): { rows: Array<JoinedPerformance<T>>; unlisted: number } {
  const byId = new Map<string, PerformanceRow>();
  for (const r of rows ?? []) {
    const id = r[key];
    if (id != null && !byId.has(id)) byId.set(id, r);
  }
  const listed = new Set(items.map(idOf));
  let unlisted = 0;
  for (const id of byId.keys()) if (!listed.has(id)) unlisted++;
  return { rows: items.map((item) => ({ item, performance: byId.get(idOf(item)) ?? null })), unlisted };
}

/** Most impressions first; items without figures last, in their listed order. */
export function byImpressions<T>(rows: ReadonlyArray<JoinedPerformance<T>>): Array<JoinedPerformance<T>> {
  return rows
    .map((r, i) => ({ r, i }))
    .sort((a, b) => (b.r.performance?.impressions ?? -1) - (a.r.performance?.impressions ?? -1) || a.i - b.i)
    .map(({ r }) => r);
}

/** The two rates, formatted like the experiments' metrics of the same name. */
export const RATE_METRICS = { clickThrough: 'CLICK_THROUGH', completionRate: 'COMPLETION' } as const satisfies Record<
  'clickThrough' | 'completionRate',
  ExperimentMetric
>;
export type RateField = keyof typeof RATE_METRICS;

/** "12.34 %"; "—" without an estimate (nothing shown). */
export function formatRate(field: RateField, r: RateEstimate | null | undefined): string {
  return formatMetricValue(RATE_METRICS[field], r?.value);
}

/** "10.00 % – 14.68 %"; "—" without an estimate. */
export function formatRateInterval(field: RateField, r: RateEstimate | null | undefined): string {
  return formatInterval(RATE_METRICS[field], r?.low, r?.high);
}

/** "12.34 % (95 % interval 10.00 % – 14.68 %)", for screen readers and tooltips; "No data" without one. */
export function describeRate(field: RateField, r: RateEstimate | null | undefined): string {
  if (!r || !Number.isFinite(r.value)) return 'No data';
  return `${formatRate(field, r)} (95 % interval ${formatRateInterval(field, r)})`;
}

/** The top of a column's shared rate scale: the highest interval end (at least 1 %). */
export function rateScaleMax(rates: ReadonlyArray<RateEstimate | null | undefined>): number {
  const highs = rates.flatMap((r) => (r && Number.isFinite(r.high) ? [r.high] : []));
  return Math.min(1, Math.max(0.01, ...highs));
}
