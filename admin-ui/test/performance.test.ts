// Editorial performance: the period asked for, the join of the API's rows to the listed
// collections, pins and boost rules, and how rates and their intervals read.
import { describe, expect, it } from 'vitest';
import {
  byImpressions,
  describeRate,
  formatRate,
  formatRateInterval,
  joinPerformance,
  periodLabel,
  periodRange,
  rateScaleMax,
} from '../src/lib/performance';
import { performanceRow } from './curationFixtures';

describe('performance period', () => {
  it('covers the last 7 or 30 days up to the next whole minute', () => {
    const now = Date.parse('2026-11-22T10:15:30.500Z');
    expect(periodRange(7, now)).toEqual({ from: '2026-11-15T10:16:00.000Z', to: '2026-11-22T10:16:00.000Z' });
    expect(periodRange(30, now).from).toBe('2026-10-23T10:16:00.000Z');
    // The same choice within a minute asks the same question (no refetch on every render).
    expect(periodRange(7, now + 20_000)).toEqual(periodRange(7, now));
  });

  it('never asks for more than the API answers (92 days) or less than a day', () => {
    const now = Date.parse('2026-11-22T10:00:00Z');
    expect(periodRange(365, now).from).toBe('2026-08-22T10:00:00.000Z');
    expect(periodRange(0, now).from).toBe('2026-11-21T10:00:00.000Z');
  });

  it('names the presets', () => {
    expect(periodLabel(7)).toBe('Last 7 days');
    expect(periodLabel(30)).toBe('Last 30 days');
    expect(periodLabel(14)).toBe('Last 14 days');
  });
});

describe('joining performance rows to listed items', () => {
  const items = [{ id: 'a' }, { id: 'b' }, { id: 'c' }];

  it('matches rows by the id of their kind, in the list’s order; items without a row get null', () => {
    const rows = [performanceRow('placementId', 'c', { impressions: 50 }), performanceRow('ruleId', 'a'), performanceRow('placementId', 'a', { impressions: 9 })];
    const joined = joinPerformance(items, (i) => i.id, rows, 'placementId');
    expect(joined.rows.map((r) => [r.item.id, r.performance?.impressions ?? null])).toEqual([
      ['a', 9],
      ['b', null],
      ['c', 50],
    ]);
    expect(joined.unlisted).toBe(0);
    // A boost rule's row is not a pin's, even with the same id.
    expect(joinPerformance(items, (i) => i.id, rows, 'ruleId').rows.map((r) => r.performance !== null)).toEqual([true, false, false]);
  });

  it('counts rows of items the list does not show, and copes with no data yet', () => {
    const rows = [performanceRow('collectionId', 'a'), performanceRow('collectionId', 'gone'), performanceRow('collectionId', 'page-2')];
    expect(joinPerformance(items, (i) => i.id, rows, 'collectionId').unlisted).toBe(2);
    const none = joinPerformance(items, (i) => i.id, undefined, 'collectionId');
    expect(none.rows.every((r) => r.performance === null)).toBe(true);
    expect(none.unlisted).toBe(0);
  });

  it('sorts by impressions, items without figures last in their order', () => {
    const rows = [performanceRow('placementId', 'c', { impressions: 50 }), performanceRow('placementId', 'b', { impressions: 70 })];
    const joined = joinPerformance([...items, { id: 'd' }], (i) => i.id, rows, 'placementId');
    expect(byImpressions(joined.rows).map((r) => r.item.id)).toEqual(['b', 'c', 'a', 'd']);
  });
});

describe('rates', () => {
  const r = { value: 0.12, low: 0.1, high: 0.1468 };

  it('read as the experiments’ rates, with their 95 % interval', () => {
    expect(formatRate('clickThrough', r)).toBe('12.00 %');
    expect(formatRateInterval('clickThrough', r)).toBe('10.00 % – 14.68 %');
    expect(formatRate('completionRate', { value: 0.0512, low: 0.04, high: 0.06 })).toBe('5.12 %');
    expect(describeRate('clickThrough', r)).toBe('12.00 % (95 % interval 10.00 % – 14.68 %)');
  });

  it('without an estimate (nothing shown): "—", never 0 %', () => {
    expect(formatRate('clickThrough', null)).toBe('—');
    expect(formatRateInterval('completionRate', undefined)).toBe('—');
    expect(describeRate('clickThrough', null)).toBe('No data');
  });

  it('share a column scale up to the highest interval end', () => {
    expect(rateScaleMax([r, null, { value: 0.2, low: 0.15, high: 0.25 }])).toBe(0.25);
    expect(rateScaleMax([null, undefined])).toBe(0.01);
    expect(rateScaleMax([{ value: 0.99, low: 0.98, high: 1.2 }])).toBe(1);
  });
});
