// Experiments on the console: labels, which actions a status allows, how results read, and the
// layout of the primary metric's interval chart (docs/experiments.md).
import type {
  ExperimentMetric,
  ExperimentResultsFieldsFragment,
  ExperimentRowFragment,
  ExperimentStatus,
  ExperimentVariantFieldsFragment,
  MetricResultFieldsFragment,
} from '../gql/graphql';
import { dayLabel, formatTick, niceTicks, scaleLinear, type Series } from './chart';
import { BUCKETS, METRICS } from './experimentForm';

export const EXPERIMENT_STATUSES: readonly ExperimentStatus[] = ['DRAFT', 'RUNNING', 'STOPPED'];

export const EXPERIMENT_STATUS_LABELS: Readonly<Record<ExperimentStatus, string>> = {
  DRAFT: 'Draft',
  RUNNING: 'Running',
  STOPPED: 'Stopped',
};

export function isExperimentStatus(s: string | null): s is ExperimentStatus {
  return s !== null && (EXPERIMENT_STATUSES as readonly string[]).includes(s);
}

type Lifecycle = Pick<ExperimentRowFragment, 'status' | 'shippedVariant'>;

/** Which lifecycle actions an experiment's state allows (the server checks again). */
export function experimentActions(e: Lifecycle): { start: boolean; stop: boolean; ship: boolean } {
  return {
    start: e.status === 'DRAFT',
    stop: e.status === 'RUNNING',
    ship: (e.status === 'RUNNING' || e.status === 'STOPPED') && e.shippedVariant == null,
  };
}

type Shippable = Pick<ExperimentVariantFieldsFragment, 'curation' | 'candidatePool' | 'blendWeights'>;

/** Whether the variant's blend factors change anything (none, or all 1, do not). */
function changesBlend(v: Pick<ExperimentVariantFieldsFragment, 'blendWeights'>): boolean {
  return v.blendWeights.some((b) => b.factor !== 1);
}

/**
 * Why a variant can never be shipped, or null when it can: shipping makes its settings the
 * surface's, and curation off, a candidate pool and blend weights are not server settings.
 * "Cannot be shipped: curation off", "Cannot be shipped: its candidate pool and blend weights
 * are not server settings".
 */
export function shipBlocker(v: Shippable): string | null {
  const reasons: string[] = [];
  if (!v.curation) reasons.push('curation off');
  const pool = v.candidatePool != null;
  const blend = changesBlend(v);
  if (pool && blend) reasons.push('its candidate pool and blend weights are not server settings');
  else if (pool) reasons.push('its candidate pool is not a server setting');
  else if (blend) reasons.push('its blend weights are not server settings');
  return reasons.length > 0 ? `Cannot be shipped: ${reasons.join('; ')}` : null;
}

/**
 * Whether a variant may be shipped now: never one with curation off, a candidate pool or a
 * blend weight other than 1 (there is no such setting; the server refuses too).
 */
export function canShipVariant(e: Lifecycle, v: Shippable): boolean {
  return experimentActions(e).ship && shipBlocker(v) === null;
}

/** NOT_INTERESTED is the one metric where lower is better. */
export function lowerIsBetter(m: ExperimentMetric): boolean {
  return m === 'NOT_INTERESTED';
}

/** Rates (ratios of shown movies) are shown as percentages, their differences in points. */
export function isRate(m: ExperimentMetric): boolean {
  return m === 'CLICK_THROUGH' || m === 'COMPLETION' || m === 'NOT_INTERESTED';
}

const trim = (s: string) => (s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s);

/** 0.5 → "50 %", 0.3333 → "33.33 %". */
export function formatShare(share: number): string {
  return `${trim((share * 100).toFixed(2))} %`;
}

/** A metric's value: rates as "12.34 %", mean rating "3.87", per-user counts "1.234"; "—" when undefined. */
export function formatMetricValue(m: ExperimentMetric, v: number | null | undefined): string {
  if (v == null || !Number.isFinite(v)) return '—';
  if (isRate(m)) return `${(v * 100).toFixed(2)} %`;
  return m === 'MEAN_RATING' ? v.toFixed(2) : v.toFixed(3);
}

/** "10.00 % – 14.68 %"; "—" when either end is undefined. */
export function formatInterval(m: ExperimentMetric, low: number | null | undefined, high: number | null | undefined): string {
  if (low == null || high == null) return '—';
  return `${formatMetricValue(m, low)} – ${formatMetricValue(m, high)}`;
}

function signed(s: string, n: number): string {
  return n > 0 ? `+${s}` : n < 0 ? `−${s.replace(/^-/, '')}` : s;
}

/** Variant − control: rates in percentage points ("+1.20 pp"), others as numbers ("−0.050"). */
export function formatDifference(m: ExperimentMetric, d: number): string {
  if (!Number.isFinite(d)) return '—';
  if (isRate(m)) return `${signed((d * 100).toFixed(2), d)} pp`;
  return signed(d.toFixed(m === 'MEAN_RATING' ? 2 : 3), d);
}

/** The difference's 95 % interval, e.g. "−0.40 pp to +2.80 pp". */
export function formatDifferenceInterval(m: ExperimentMetric, low: number, high: number): string {
  return `${formatDifference(m, low)} to ${formatDifference(m, high)}`;
}

/** Relative change: 0.045 → "+4.5 %"; null (control is 0) → "—". */
export function formatRelative(r: number | null | undefined): string {
  if (r == null || !Number.isFinite(r)) return '—';
  return `${signed((r * 100).toFixed(1), r)} %`;
}

/** "< 0.001", "0.042", "0.51". */
export function formatPValue(p: number): string {
  if (!Number.isFinite(p)) return '—';
  if (p < 0.001) return '< 0.001';
  return p < 0.01 ? p.toFixed(3) : trim(p.toFixed(3));
}

/** An axis tick of a metric's chart: rates in percent ("12.5 %"), others as numbers. */
export function formatMetricTick(m: ExperimentMetric, v: number): string {
  return isRate(m) ? `${Number((v * 100).toPrecision(3))} %` : formatTick(v);
}

/** "p < 0.001", "p = 0.042". */
export function formatPStatement(p: number): string {
  const s = formatPValue(p);
  return s.startsWith('<') ? `p ${s}` : `p = ${s}`;
}

/** " (control)" after the first variant's name, unless the name says so already. */
export function controlNote(name: string, index: number): string {
  return index === 0 && !/control/i.test(name) ? ' (control)' : '';
}

/** Coverage (distinct movies served ÷ catalogue) as a percentage. */
export function formatCoverage(c: number): string {
  return `${(c * 100).toFixed(1)} %`;
}

/** "All users (0–1)", "40 % of users (0.3–0.7)". */
export function formatTraffic(from: number, to: number): string {
  const range = `${trim(from.toFixed(4))}–${trim(to.toFixed(4))}`;
  const width = Math.round((to - from) * BUCKETS) / BUCKETS;
  return width >= 1 ? `All users (${range})` : `${formatShare(width)} of users (${range})`;
}

/** A variant's diversity settings in one line, or that it keeps the surface's. */
export function describeVariantDiversity(d: ExperimentVariantFieldsFragment['diversity']): string {
  if (!d) return 'Surface’s settings';
  const parts = [
    d.maxPerGenre != null ? `max ${d.maxPerGenre} per genre` : null,
    `λ ${d.mmrLambda}`,
    `calibration ${d.calibration}`,
    d.minGenres != null ? `min ${d.minGenres} genres` : null,
    `novelty ${d.noveltyWeight}`,
  ];
  return parts.filter(Boolean).join(' · ');
}

/** A blend factor: 2 → "×2", 0.5 → "×0.5". */
export function formatBlendFactor(f: number): string {
  return `×${Number(f.toPrecision(6))}`;
}

/**
 * A variant's candidate pool and blend factors in one line, e.g. "pool 200 · blend: popularity
 * ×2, als ×0"; null when it has neither (the server's pool, the blend as learned).
 */
export function describeVariantRanking(v: Pick<ExperimentVariantFieldsFragment, 'candidatePool' | 'blendWeights'>): string | null {
  const parts: string[] = [];
  if (v.candidatePool != null) parts.push(`pool ${v.candidatePool}`);
  if (v.blendWeights.length > 0) parts.push(`blend: ${v.blendWeights.map((b) => `${b.component} ${formatBlendFactor(b.factor)}`).join(', ')}`);
  return parts.length > 0 ? parts.join(' · ') : null;
}

/**
 * "control 50 % · no-curation 50 % (curation off)"; a pool and blend weights follow in the
 * parentheses: "wide 50 % (pool 2000 · blend: als ×2)".
 */
export function describeVariants(variants: readonly ExperimentVariantFieldsFragment[]): string {
  return variants
    .map((v) => {
      const notes = [v.curation ? null : 'curation off', describeVariantRanking(v)].filter(Boolean);
      return `${v.name} ${formatShare(v.share)}${notes.length > 0 ? ` (${notes.join('; ')})` : ''}`;
    })
    .join(' · ');
}

export type Verdict = 'better' | 'worse' | 'inconclusive';

/** A significant difference in the good direction is "better", in the bad one "worse". */
export function verdict(m: ExperimentMetric, cmp: { difference: number; significant: boolean } | null | undefined): Verdict {
  if (!cmp || !cmp.significant || cmp.difference === 0) return 'inconclusive';
  const up = cmp.difference > 0;
  return up !== lowerIsBetter(m) ? 'better' : 'worse';
}

export function totalUsers(results: Pick<ExperimentResultsFieldsFragment, 'variants'> | null | undefined): number {
  return (results?.variants ?? []).reduce((s, v) => s + v.users, 0);
}

export interface MetricRow {
  variant: string;
  control: boolean;
  users: number;
  result: MetricResultFieldsFragment | null;
  /** The variant breaks a guardrail on this metric. */
  breached: boolean;
}

export interface MetricTable {
  metric: ExperimentMetric;
  primary: boolean;
  /** The guardrail's tolerance when one watches this metric. */
  guardrail: number | null;
  rows: MetricRow[];
}

/**
 * One table per metric the results have, the primary metric first, then in the usual
 * order; each has a row per variant (the control first).
 */
export function metricTables(
  e: Pick<ExperimentRowFragment, 'primaryMetric' | 'guardrails'>,
  results: Pick<ExperimentResultsFieldsFragment, 'variants'>,
): MetricTable[] {
  const present = new Set(results.variants.flatMap((v) => v.metrics.map((m) => m.metric)));
  const order = [e.primaryMetric, ...METRICS.filter((m) => m !== e.primaryMetric)].filter((m) => present.has(m));
  return order.map((metric) => ({
    metric,
    primary: metric === e.primaryMetric,
    guardrail: e.guardrails.find((g) => g.metric === metric)?.tolerance ?? null,
    rows: results.variants.map((v, i) => ({
      variant: v.name,
      control: i === 0,
      users: v.users,
      result: v.metrics.find((m) => m.metric === metric) ?? null,
      breached: v.breachedGuardrails.includes(metric),
    })),
  }));
}

/** Each variant's share of the users exposed, next to the share asked for. */
export function observedShares(
  variants: readonly Pick<ExperimentVariantFieldsFragment, 'name' | 'share'>[],
  results: Pick<ExperimentResultsFieldsFragment, 'variants'>,
): Array<{ name: string; asked: number; observed: number | null }> {
  const total = totalUsers(results);
  return variants.map((v) => {
    const r = results.variants.find((x) => x.name === v.name);
    return { name: v.name, asked: v.share, observed: total > 0 && r ? r.users / total : null };
  });
}

// ---------- results over time ----------

export interface OverTimePoint {
  at: string;
  variants: ReadonlyArray<{ name: string; metrics: ReadonlyArray<Pick<MetricResultFieldsFragment, 'metric' | 'value' | 'low' | 'high'>> }>;
}

/**
 * The chart of one metric over time: a label per point (the day a midnight point closes, then
 * `lastLabel` for the final point, which is "now" or the stop), and per variant its cumulative
 * value with the 95 % interval as a band.
 */
export function overTimeSeries(
  points: readonly OverTimePoint[],
  metric: ExperimentMetric,
  variantNames: readonly string[],
  lastLabel: string,
): { labels: string[]; series: Series[] } {
  const labels = points.map((p, i) => {
    if (i === points.length - 1) return lastLabel;
    // A point at midnight UTC closes the day before it.
    const closed = new Date(Date.parse(p.at) - 1).toISOString().slice(0, 10);
    return dayLabel(closed);
  });
  const series = variantNames.map((name) => {
    const at = points.map((p) => p.variants.find((v) => v.name === name)?.metrics.find((m) => m.metric === metric) ?? null);
    return {
      key: name,
      label: name,
      values: at.map((m) => m?.value ?? null),
      low: at.map((m) => m?.low ?? null),
      high: at.map((m) => m?.high ?? null),
    };
  });
  return { labels, series };
}

// ---------- the interval chart ----------

export interface IntervalPoint {
  label: string;
  value: number | null;
  low: number | null;
  high: number | null;
}

export interface IntervalChartLayout {
  width: number;
  height: number;
  plot: { left: number; top: number; right: number; bottom: number };
  yTicks: Array<{ value: number; y: number }>;
  items: Array<{ label: string; x: number; value: number | null; y: number | null; yLow: number | null; yHigh: number | null }>;
  /** The control's value across the plot, when it has one. */
  reference: number | null;
}

/**
 * Positions a point-and-whiskers chart: one column per variant, its value as a point and its
 * 95 % interval as a whisker. The y axis covers every value and interval end (from 0 when
 * `zeroBased`), with nice ticks.
 */
export function intervalChartLayout(opts: {
  points: readonly IntervalPoint[];
  width?: number;
  height?: number;
  margin?: { left: number; top: number; right: number; bottom: number };
  zeroBased?: boolean;
}): IntervalChartLayout {
  const width = opts.width ?? 560;
  const height = opts.height ?? 240;
  const m = opts.margin ?? { left: 64, top: 12, right: 16, bottom: 40 };
  const plot = { left: m.left, top: m.top, right: width - m.right, bottom: height - m.bottom };
  const finite = (v: number | null): v is number => v !== null && Number.isFinite(v);
  const values = opts.points.flatMap((p) => [p.value, p.low, p.high]).filter(finite);
  const lo = values.length ? Math.min(...values) : 0;
  const hi = values.length ? Math.max(...values) : 0;
  const ticks = niceTicks(opts.zeroBased ? Math.min(0, lo) : lo, opts.zeroBased ? Math.max(0, hi) : hi, 4);
  const y = scaleLinear(ticks[0]!, ticks[ticks.length - 1]!, plot.bottom, plot.top);
  const n = opts.points.length;
  const slot = (plot.right - plot.left) / Math.max(1, n);
  const items = opts.points.map((p, i) => ({
    label: p.label,
    x: plot.left + slot * (i + 0.5),
    value: finite(p.value) ? p.value : null,
    y: finite(p.value) ? y(p.value) : null,
    yLow: finite(p.low) ? y(p.low) : null,
    yHigh: finite(p.high) ? y(p.high) : null,
  }));
  const control = opts.points[0]?.value ?? null;
  return {
    width,
    height,
    plot,
    yTicks: ticks.map((value) => ({ value, y: y(value) })),
    items,
    reference: finite(control) ? y(control) : null,
  };
}

// ---------- stopping ----------

/** The API keeps at most this many characters of a stop reason. */
export const MAX_STOP_REASON_CHARS = 500;

/** The console asks for a reason when stopping (the API takes it as optional). */
export function validateStopReason(reason: string): string | undefined {
  const t = reason.trim();
  if (!t) return 'Give a reason for stopping: it is kept with the experiment and in the audit log.';
  if ([...t].length > MAX_STOP_REASON_CHARS) return `The reason must be at most ${MAX_STOP_REASON_CHARS} characters.`;
  return undefined;
}
