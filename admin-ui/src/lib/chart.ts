// Chart arithmetic for the dashboard's inline SVG charts (no chart library): nice axis
// ticks, linear scales, line paths, and the data shaping for activity and model metrics.

/** A "nice" step (1, 2, 2.5 or 5 × 10^k) close to `raw`. */
export function niceStep(raw: number): number {
  if (!(raw > 0) || !Number.isFinite(raw)) return 1;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  const nice = f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10;
  return nice * mag;
}

/**
 * Axis ticks covering [min, max] with about `count` intervals, starting and ending on a
 * multiple of the step. A flat range gets a unit range around it; [0, 0] gives [0, 1].
 */
export function niceTicks(min: number, max: number, count = 5): number[] {
  let lo = Math.min(min, max);
  let hi = Math.max(min, max);
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [0, 1];
  if (lo === hi) {
    if (lo === 0) return [0, 1];
    const pad = Math.abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  const step = niceStep((hi - lo) / Math.max(1, count));
  const start = Math.floor(lo / step + 1e-9) * step;
  const end = Math.ceil(hi / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let v = start; v <= end + step / 2; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

/** Maps [d0, d1] linearly onto [r0, r1]; a zero-width domain maps to the middle of the range. */
export function scaleLinear(d0: number, d1: number, r0: number, r1: number): (v: number) => number {
  if (d0 === d1) return () => (r0 + r1) / 2;
  return (v) => r0 + ((v - d0) / (d1 - d0)) * (r1 - r0);
}

/** An SVG path through the points; null values break the line into segments. */
export function linePath(points: ReadonlyArray<readonly [number, number] | null>): string {
  let d = '';
  let pen = false;
  for (const p of points) {
    if (!p) {
      pen = false;
      continue;
    }
    d += `${d ? ' ' : ''}${pen ? 'L' : 'M'}${round2(p[0])} ${round2(p[1])}`;
    pen = true;
  }
  return d;
}

const round2 = (n: number) => Math.round(n * 100) / 100;

export interface Series {
  key: string;
  label: string;
  values: ReadonlyArray<number | null>;
  /** Optional interval around each value (drawn as a shaded band): lower and upper ends. */
  low?: ReadonlyArray<number | null>;
  high?: ReadonlyArray<number | null>;
}

export interface LineChartLayout {
  width: number;
  height: number;
  plot: { left: number; top: number; right: number; bottom: number };
  yTicks: Array<{ value: number; y: number }>;
  xTicks: Array<{ index: number; x: number; label: string }>;
  lines: Array<{ key: string; d: string; points: Array<{ x: number; y: number; value: number; index: number }> }>;
  /** Per series with an interval: the band's outline, one closed path per run of points with both ends. */
  bands: Array<{ key: string; d: string }>;
}

/**
 * Positions everything a line chart draws: `labels` along x (at most `maxXLabels` shown,
 * always the first and last), one line per series, y from 0 (or the data's minimum when
 * `zeroBased` is false) to a nice maximum.
 */
export function lineChartLayout(opts: {
  labels: readonly string[];
  series: readonly Series[];
  width?: number;
  height?: number;
  margin?: { left: number; top: number; right: number; bottom: number };
  maxXLabels?: number;
  zeroBased?: boolean;
}): LineChartLayout {
  const width = opts.width ?? 640;
  const height = opts.height ?? 220;
  const m = opts.margin ?? { left: 48, top: 12, right: 16, bottom: 36 };
  const plot = { left: m.left, top: m.top, right: width - m.right, bottom: height - m.bottom };
  const values = opts.series.flatMap((s) =>
    [...s.values, ...(s.low ?? []), ...(s.high ?? [])].filter((v): v is number => v !== null && Number.isFinite(v)),
  );
  const dataMin = values.length ? Math.min(...values) : 0;
  const dataMax = values.length ? Math.max(...values) : 0;
  const zeroBased = opts.zeroBased ?? true;
  const ticks = niceTicks(zeroBased ? Math.min(0, dataMin) : dataMin, dataMax, 4);
  const y = scaleLinear(ticks[0]!, ticks[ticks.length - 1]!, plot.bottom, plot.top);
  const n = opts.labels.length;
  const x = n <= 1 ? () => (plot.left + plot.right) / 2 : scaleLinear(0, n - 1, plot.left, plot.right);

  const every = xLabelStep(n, opts.maxXLabels ?? 8);
  const xTicks: LineChartLayout['xTicks'] = [];
  opts.labels.forEach((label, index) => {
    if (index % every === 0 || index === n - 1) xTicks.push({ index, x: x(index), label });
  });
  // Drop a label that would crowd the last one.
  if (xTicks.length >= 2 && xTicks[xTicks.length - 1]!.index - xTicks[xTicks.length - 2]!.index < every / 2) xTicks.splice(xTicks.length - 2, 1);

  return {
    width,
    height,
    plot,
    yTicks: ticks.map((value) => ({ value, y: y(value) })),
    xTicks,
    lines: opts.series.map((s) => {
      const pts = s.values.map((v, index) => (v === null || !Number.isFinite(v) ? null : { x: x(index), y: y(v), value: v, index }));
      return {
        key: s.key,
        d: linePath(pts.map((p) => (p ? ([p.x, p.y] as const) : null))),
        points: pts.filter((p): p is NonNullable<typeof p> => p !== null),
      };
    }),
    bands: opts.series.flatMap((s) => {
      if (!s.low || !s.high) return [];
      const d = bandPath(s.low, s.high, x, y);
      return d ? [{ key: s.key, d }] : [];
    }),
  };
}

/** Closed outlines of the band between `low` and `high`: one per run of indices where both are finite. */
function bandPath(
  low: ReadonlyArray<number | null>,
  high: ReadonlyArray<number | null>,
  x: (i: number) => number,
  y: (v: number) => number,
): string {
  const ok = (v: number | null | undefined): v is number => v !== null && v !== undefined && Number.isFinite(v);
  const runs: number[][] = [];
  let run: number[] = [];
  for (let i = 0; i < Math.min(low.length, high.length); i++) {
    if (ok(low[i]) && ok(high[i])) run.push(i);
    else if (run.length) (runs.push(run), (run = []));
  }
  if (run.length) runs.push(run);
  return runs
    .map((r) => {
      const top = r.map((i) => `${round2(x(i))},${round2(y(high[i] as number))}`);
      const bottom = [...r].reverse().map((i) => `${round2(x(i))},${round2(y(low[i] as number))}`);
      return `M${top.join('L')}L${bottom.join('L')}Z`;
    })
    .join('');
}

/** Show every k-th x label so that at most `max` are shown. */
export function xLabelStep(count: number, max: number): number {
  return count <= max ? 1 : Math.ceil(count / Math.max(1, max));
}

/** Compact tick text: 12000 → "12k", 0.125 → "0.125", 2500000 → "2.5M". */
export function formatTick(v: number): string {
  const a = Math.abs(v);
  if (a >= 1_000_000) return `${Number((v / 1_000_000).toPrecision(3))}M`;
  if (a >= 10_000) return `${Number((v / 1000).toPrecision(3))}k`;
  return String(Number(v.toPrecision(3)));
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "2026-11-02" (ActivityDay.day, UTC) → "2 Nov". */
export function dayLabel(day: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!m) return day;
  return `${Number(m[3])} ${MONTHS[Number(m[2]) - 1] ?? m[2]}`;
}

// ---------- activity ----------

export interface ActivityDayLike {
  day: string;
  ratings: number;
  events: number;
  newUsers: number;
}

export const ACTIVITY_SERIES = [
  { key: 'events', label: 'Events' },
  { key: 'ratings', label: 'Ratings' },
  { key: 'newUsers', label: 'New users' },
] as const;

/** Days in order (the API's order is not relied on) and one series per measure. */
export function activitySeries(days: readonly ActivityDayLike[]): { labels: string[]; days: string[]; series: Series[] } {
  const sorted = [...days].sort((a, b) => a.day.localeCompare(b.day));
  return {
    days: sorted.map((d) => d.day),
    labels: sorted.map((d) => dayLabel(d.day)),
    series: ACTIVITY_SERIES.map((s) => ({ key: s.key, label: s.label, values: sorted.map((d) => d[s.key]) })),
  };
}

// ---------- model metrics ----------

/** Ranking metrics reported at a cut-off k, named `<metric>@<k>` in the flat report shape. */
const AT_K = new Set(['precision', 'recall', 'ndcg', 'map', 'mrr', 'hit_rate']);
/** Objects in a model's entry that are not metrics. */
const NOT_METRICS = new Set(['params', 'folds', 'config']);

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function numericFields(o: Record<string, unknown>, k: number | null, into: Record<string, number>): void {
  for (const [key, v] of Object.entries(o)) {
    if (typeof v === 'number' && Number.isFinite(v)) {
      into[k !== null && AT_K.has(key) ? `${key}@${k}` : key] = v;
    } else if (isRecord(v) && !NOT_METRICS.has(key)) {
      // e.g. the stored report's `ranking: { ndcg, recall, … }`: one level deep.
      for (const [inner, w] of Object.entries(v)) {
        if (typeof w === 'number' && Number.isFinite(w)) into[k !== null && AT_K.has(inner) ? `${inner}@${k}` : inner] = w;
      }
    }
  }
}

/**
 * The numeric metrics in a model version's `metrics` JSON, per evaluated model:
 * `{ models: [{ name, "ndcg@10": …, rmse: … }] }` (flat report), or the stored evaluation
 * report (`{ k, models: [{ name, rmse, ranking: { ndcg, … } }] }`, named `ndcg@<k>`), or a
 * plain object of numbers (model "overall"). Anything else (e.g. `{ skipped: … }`): none.
 */
export function extractModelMetrics(metrics: unknown): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  if (!isRecord(metrics)) return out;
  const k = typeof metrics.k === 'number' ? metrics.k : null;
  if (Array.isArray(metrics.models)) {
    metrics.models.forEach((m, i) => {
      if (!isRecord(m)) return;
      const name = typeof m.name === 'string' && m.name ? m.name : `model ${i + 1}`;
      const values: Record<string, number> = {};
      numericFields(m, k, values);
      if (Object.keys(values).length > 0) out[name] = values;
    });
    return out;
  }
  const values: Record<string, number> = {};
  for (const [key, v] of Object.entries(metrics)) if (typeof v === 'number' && Number.isFinite(v)) values[key] = v;
  if (Object.keys(values).length > 0) out.overall = values;
  return out;
}

/** Why a version has no metrics (`skipped` or `error` in its JSON), if it says. */
export function metricsNote(metrics: unknown): string | null {
  if (!isRecord(metrics)) return null;
  for (const key of ['skipped', 'error']) if (typeof metrics[key] === 'string') return `${key}: ${metrics[key]}`;
  return null;
}

export interface VersionLike {
  id: string;
  trainedAt: string;
  metrics: unknown;
}

/** Preferred metric first (ndcg@10, then other ndcg, recall, precision), then alphabetical. */
const PREFERRED = [/^ndcg@10$/, /^ndcg/, /^recall/, /^precision/, /^hit_rate/, /^map/, /^mrr/, /^rmse$/];
function metricRank(name: string): number {
  const i = PREFERRED.findIndex((re) => re.test(name));
  return i === -1 ? PREFERRED.length : i;
}

/**
 * Every metric name found in any version, and for a chosen metric one series per model
 * across the versions from oldest to newest (null where a version lacks it).
 */
export function modelMetricSeries(
  versions: readonly VersionLike[],
  metric?: string,
): { metrics: string[]; metric: string | null; labels: string[]; versionIds: string[]; series: Series[] } {
  const ordered = [...versions].sort((a, b) => a.trainedAt.localeCompare(b.trainedAt));
  const extracted = ordered.map((v) => extractModelMetrics(v.metrics));
  const names = new Set<string>();
  const models: string[] = [];
  for (const e of extracted) {
    for (const [model, vals] of Object.entries(e)) {
      if (!models.includes(model)) models.push(model);
      for (const n of Object.keys(vals)) names.add(n);
    }
  }
  const metrics = [...names].sort((a, b) => metricRank(a) - metricRank(b) || a.localeCompare(b));
  const chosen = metric && names.has(metric) ? metric : (metrics[0] ?? null);
  const series: Series[] = chosen
    ? models
        .map((model) => ({ key: model, label: model, values: extracted.map((e) => e[model]?.[chosen] ?? null) }))
        .filter((s) => s.values.some((v) => v !== null))
    : [];
  return {
    metrics,
    metric: chosen,
    labels: ordered.map((v) => shortDate(v.trainedAt)),
    versionIds: ordered.map((v) => v.id),
    series,
  };
}

/** "2026-11-22T10:00:00Z" → "22 Nov" (UTC). */
export function shortDate(iso: string): string {
  return dayLabel(iso.slice(0, 10));
}
