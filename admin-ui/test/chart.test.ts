import { describe, expect, it } from 'vitest';
import {
  activitySeries,
  dayLabel,
  extractModelMetrics,
  formatTick,
  lineChartLayout,
  linePath,
  metricsNote,
  modelMetricSeries,
  niceStep,
  niceTicks,
  scaleLinear,
  xLabelStep,
} from '../src/lib/chart';

describe('axis scaling', () => {
  it('picks nice steps and ticks', () => {
    expect(niceStep(7)).toBe(10);
    expect(niceStep(0.3)).toBeCloseTo(0.5);
    expect(niceStep(23)).toBe(25);
    expect(niceTicks(0, 93, 4)).toEqual([0, 25, 50, 75, 100]);
    expect(niceTicks(0, 1234, 5)).toEqual([0, 250, 500, 750, 1000, 1250]);
    expect(niceTicks(0.18, 0.31, 4)).toEqual([0.15, 0.2, 0.25, 0.3, 0.35]);
    expect(niceTicks(0, 0)).toEqual([0, 1]);
    expect(niceTicks(5, 5, 4)).toEqual([4.5, 4.75, 5, 5.25, 5.5]);
  });

  it('maps values linearly, flipping for SVG y', () => {
    const y = scaleLinear(0, 100, 200, 0);
    expect(y(0)).toBe(200);
    expect(y(25)).toBe(150);
    expect(y(100)).toBe(0);
    expect(scaleLinear(3, 3, 0, 10)(3)).toBe(5);
  });

  it('draws paths with gaps for missing values', () => {
    expect(linePath([[0, 10], [5, 20.123], null, [10, 0], [15, 5]])).toBe('M0 10 L5 20.12 M10 0 L15 5');
    expect(linePath([])).toBe('');
  });

  it('formats ticks compactly', () => {
    expect(formatTick(12000)).toBe('12k');
    expect(formatTick(2_500_000)).toBe('2.5M');
    expect(formatTick(0.125)).toBe('0.125');
    expect(formatTick(750)).toBe('750');
  });

  it('lays out a line chart inside its margins', () => {
    const l = lineChartLayout({
      labels: ['a', 'b', 'c'],
      series: [{ key: 's', label: 'S', values: [0, 60, null] }],
      width: 300,
      height: 200,
      margin: { left: 40, top: 10, right: 10, bottom: 30 },
    });
    expect(l.plot).toEqual({ left: 40, top: 10, right: 290, bottom: 170 });
    expect(l.yTicks[0]).toEqual({ value: 0, y: 170 });
    expect(l.yTicks.map((t) => t.value)).toEqual([0, 20, 40, 60]);
    expect(l.yTicks[l.yTicks.length - 1]).toEqual({ value: 60, y: 10 });
    expect(l.xTicks.map((t) => [t.label, t.x])).toEqual([
      ['a', 40],
      ['b', 165],
      ['c', 290],
    ]);
    expect(l.lines[0]!.d).toBe('M40 170 L165 10');
    expect(l.lines[0]!.points.map((p) => p.index)).toEqual([0, 1]);
  });

  it('shades an interval band around a series, one outline per run of known ends, and scales to it', () => {
    const l = lineChartLayout({
      labels: ['a', 'b', 'c', 'd'],
      series: [{ key: 's', label: 'S', values: [20, 30, null, 40], low: [10, 20, null, 30], high: [30, 60, null, 50] }],
      width: 340,
      height: 200,
      margin: { left: 40, top: 10, right: 0, bottom: 30 },
    });
    // y spans 0–60: the band's upper end sets the top.
    expect(l.yTicks[l.yTicks.length - 1]!.value).toBe(60);
    expect(l.bands).toHaveLength(1);
    // a–b form one closed outline (upper ends left to right, lower ends back); d stands alone.
    // y(v) = 170 − v·160/60: y(30) = 90, y(60) = 10, y(20) = 116.67, y(10) = 143.33, y(50) = 36.67.
    expect(l.bands[0]!.d).toBe('M40,90L140,10L140,116.67L40,143.33ZM340,36.67L340,90Z');
    const none = lineChartLayout({ labels: ['a'], series: [{ key: 's', label: 'S', values: [1] }] });
    expect(none.bands).toEqual([]);
  });

  it('thins x labels to at most the maximum, keeping the last', () => {
    expect(xLabelStep(30, 8)).toBe(4);
    expect(xLabelStep(5, 8)).toBe(1);
    const labels = Array.from({ length: 30 }, (_, i) => `d${i}`);
    const l = lineChartLayout({ labels, series: [], maxXLabels: 8 });
    expect(l.xTicks.length).toBeLessThanOrEqual(9);
    expect(l.xTicks[0]!.label).toBe('d0');
    expect(l.xTicks[l.xTicks.length - 1]!.label).toBe('d29');
  });
});

describe('activity data', () => {
  it('orders days and splits the three measures', () => {
    const r = activitySeries([
      { day: '2026-11-02', ratings: 5, events: 40, newUsers: 1 },
      { day: '2026-11-01', ratings: 3, events: 20, newUsers: 0 },
    ]);
    expect(r.days).toEqual(['2026-11-01', '2026-11-02']);
    expect(r.labels).toEqual(['1 Nov', '2 Nov']);
    expect(r.series).toEqual([
      { key: 'events', label: 'Events', values: [20, 40] },
      { key: 'ratings', label: 'Ratings', values: [3, 5] },
      { key: 'newUsers', label: 'New users', values: [0, 1] },
    ]);
    expect(dayLabel('not a day')).toBe('not a day');
  });
});

describe('model version metrics', () => {
  const flat = { dataset: 'ml', models: [{ name: 'hybrid_rank', 'ndcg@10': 0.31, 'recall@10': 0.2, fit_seconds: 4 }, { name: 'popularity', 'ndcg@10': 0.18 }] };
  const stored = {
    k: 10,
    users: 610,
    models: [
      { name: 'hybrid_rank', rmse: null, params: { factors: 64 }, ranking: { ndcg: 0.33, recall: 0.22, coverage: 0.4 }, fit_seconds: 5, folds: [{ ndcg: 1 }] },
      { name: 'popularity', ranking: { ndcg: 0.17 } },
    ],
  };

  it('reads the flat report and the stored evaluation report alike', () => {
    expect(extractModelMetrics(flat)).toEqual({
      hybrid_rank: { 'ndcg@10': 0.31, 'recall@10': 0.2, fit_seconds: 4 },
      popularity: { 'ndcg@10': 0.18 },
    });
    expect(extractModelMetrics(stored)).toEqual({
      hybrid_rank: { 'ndcg@10': 0.33, 'recall@10': 0.22, coverage: 0.4, fit_seconds: 5 },
      popularity: { 'ndcg@10': 0.17 },
    });
  });

  it('handles plain numbers, skipped runs and junk', () => {
    expect(extractModelMetrics({ rmse: 0.9, note: 'x' })).toEqual({ overall: { rmse: 0.9 } });
    expect(extractModelMetrics({ skipped: 'fewer than 200 ratings' })).toEqual({});
    expect(metricsNote({ skipped: 'fewer than 200 ratings' })).toBe('skipped: fewer than 200 ratings');
    expect(metricsNote(flat)).toBeNull();
    expect(extractModelMetrics(null)).toEqual({});
    expect(extractModelMetrics([1, 2])).toEqual({});
  });

  it('builds one series per model across versions, oldest first, ndcg@10 by default', () => {
    const r = modelMetricSeries([
      { id: 'v3', trainedAt: '2026-11-03T00:00:00Z', metrics: { skipped: 'x' } },
      { id: 'v2', trainedAt: '2026-11-02T00:00:00Z', metrics: stored },
      { id: 'v1', trainedAt: '2026-11-01T00:00:00Z', metrics: flat },
    ]);
    expect(r.metric).toBe('ndcg@10');
    expect(r.metrics.slice(0, 2)).toEqual(['ndcg@10', 'recall@10']);
    expect(r.versionIds).toEqual(['v1', 'v2', 'v3']);
    expect(r.labels).toEqual(['1 Nov', '2 Nov', '3 Nov']);
    expect(r.series).toEqual([
      { key: 'hybrid_rank', label: 'hybrid_rank', values: [0.31, 0.33, null] },
      { key: 'popularity', label: 'popularity', values: [0.18, 0.17, null] },
    ]);
    const cov = modelMetricSeries([{ id: 'v2', trainedAt: '2026-11-02T00:00:00Z', metrics: stored }], 'coverage');
    expect(cov.series).toEqual([{ key: 'hybrid_rank', label: 'hybrid_rank', values: [0.4] }]);
    expect(modelMetricSeries([], 'ndcg@10')).toMatchObject({ metric: null, series: [] });
  });
});
