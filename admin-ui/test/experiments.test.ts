import { describe, expect, it } from 'vitest';
import {
  addGuardrail,
  addVariant,
  EMPTY_EXPERIMENT_FORM,
  emptyVariant,
  errorSummary,
  evenShares,
  hasErrors,
  parseDecimal,
  removeVariant,
  sharesTotal,
  splitEvenly,
  validateExperimentForm,
  type ExperimentFormValues,
  type VariantFormValues,
} from '../src/lib/experimentForm';
import {
  canShipVariant,
  controlNote,
  describeVariantDiversity,
  describeVariantRanking,
  describeVariants,
  experimentActions,
  formatBlendFactor,
  formatDifference,
  formatInterval,
  formatMetricTick,
  formatMetricValue,
  formatPStatement,
  formatPValue,
  formatRelative,
  formatShare,
  formatTraffic,
  intervalChartLayout,
  overTimeSeries,
  isExperimentStatus,
  shipBlocker,
  metricTables,
  observedShares,
  totalUsers,
  validateStopReason,
  verdict,
} from '../src/lib/experiments';
import { experiment, experimentResults as results } from './fixtures';

const NOW = Date.parse('2026-11-22T12:00:00Z');

/** A valid form: RECOMMENDATIONS, control 0.5 and "no-curation" 0.5 with curation off. */
const form = (patch: Partial<ExperimentFormValues> = {}): ExperimentFormValues => ({
  ...EMPTY_EXPERIMENT_FORM,
  name: 'Curation off on recommendations',
  variants: [emptyVariant('control', '0.5'), { ...emptyVariant('no-curation', '0.5'), curation: false }],
  ...patch,
});

const variant = (name: string, share: string, patch: Partial<VariantFormValues> = {}): VariantFormValues => ({ ...emptyVariant(name, share), ...patch });

describe('experiment form → CreateExperimentInput', () => {
  it('maps a valid form, with the defaults (traffic 0–1, 24 h window, not orthogonal)', () => {
    const { errors, input } = validateExperimentForm(form(), NOW);
    expect(hasErrors(errors)).toBe(false);
    expect(input).toEqual({
      name: 'Curation off on recommendations',
      surface: 'RECOMMENDATIONS',
      variants: [
        { name: 'control', share: 0.5, curation: true },
        { name: 'no-curation', share: 0.5, curation: false },
      ],
      trafficFrom: 0,
      trafficTo: 1,
      orthogonal: false,
      primaryMetric: 'CLICK_THROUGH',
      guardrails: [],
      attributionWindowHours: 24,
    });
  });

  it('sends description, end time, guardrails and diversity settings when given', () => {
    const { input } = validateExperimentForm(
      form({
        name: '  Genre cap  ',
        description: '  Does a genre cap help?  ',
        surface: 'HOME',
        variants: [
          variant('control', '0.34'),
          variant('cap-2', '0.33', { ownDiversity: true, maxPerGenre: '2', mmrLambda: '0.7', calibration: '', minGenres: ' 3 ', noveltyWeight: '0,1' }),
          variant('cap-3', '0.33', { ownDiversity: true, maxPerGenre: '3' }),
        ],
        trafficFrom: '0.5',
        trafficTo: '1',
        orthogonal: true,
        primaryMetric: 'COMPLETION',
        guardrails: [
          { metric: 'NOT_INTERESTED', tolerance: '0.05' },
          { metric: 'CLICK_THROUGH', tolerance: '0.1' },
        ],
        attributionWindowHours: '48',
        endsAt: '2026-12-01T10:30',
      }),
      NOW,
    );
    expect(input).toEqual({
      name: 'Genre cap',
      description: 'Does a genre cap help?',
      surface: 'HOME',
      variants: [
        { name: 'control', share: 0.34, curation: true },
        // Empty calibration is left out (the API's default); a decimal comma is read as a point.
        { name: 'cap-2', share: 0.33, curation: true, diversity: { maxPerGenre: 2, mmrLambda: 0.7, minGenres: 3, noveltyWeight: 0.1 } },
        // The form's defaults for the other fields are sent as they are shown.
        { name: 'cap-3', share: 0.33, curation: true, diversity: { maxPerGenre: 3, mmrLambda: 1, calibration: 0, noveltyWeight: 0 } },
      ],
      trafficFrom: 0.5,
      trafficTo: 1,
      orthogonal: true,
      primaryMetric: 'COMPLETION',
      guardrails: [
        { metric: 'NOT_INTERESTED', tolerance: 0.05 },
        { metric: 'CLICK_THROUGH', tolerance: 0.1 },
      ],
      attributionWindowHours: 48,
      // The browser's wall clock (09:30 UTC under `npm test`'s TZ=Europe/Paris).
      endsAt: new Date(2026, 11, 1, 10, 30).toISOString(),
    });
  });

  it('requires a name of at most 100 characters', () => {
    expect(validateExperimentForm(form({ name: '  ' }), NOW).errors.name).toBe('Name is required.');
    expect(validateExperimentForm(form({ name: 'x'.repeat(101) }), NOW).errors.name).toMatch(/100/);
    expect(validateExperimentForm(form({ name: 'x'.repeat(100) }), NOW).input).not.toBeNull();
  });

  it('refuses shares that do not add up to 1, with the sum in the message', () => {
    const { errors, input } = validateExperimentForm(form({ variants: [variant('a', '0.5'), variant('b', '0.4')] }), NOW);
    expect(input).toBeNull();
    expect(errors.shares).toBe('The variants’ shares add up to 0.9; they must add up to 1.');
    expect(validateExperimentForm(form({ variants: [variant('a', '0.6'), variant('b', '0.6')] }), NOW).errors.shares).toMatch(/add up to 1.2;/);
    // Within the API's tolerance: fine.
    expect(validateExperimentForm(form({ variants: [variant('a', '0.1'), variant('b', '0.2'), variant('c', '0.7')] }), NOW).errors.shares).toBeUndefined();
  });

  it('checks each share is a number in (0, 1]', () => {
    const { errors } = validateExperimentForm(form({ variants: [variant('a', 'half'), variant('b', '0'), variant('c', '1.5'), variant('d', '')] }), NOW);
    expect(errors.variantFields.map((f) => f.share)).toEqual([
      expect.stringMatching(/greater than 0/),
      expect.any(String),
      expect.any(String),
      expect.any(String),
    ]);
    // The sum is not reported on top of broken shares.
    expect(errors.shares).toBeUndefined();
    expect(validateExperimentForm(form({ variants: [variant('a', '0.99996'), variant('b', '0.00004')] }), NOW).errors.shares).toMatch(/at least 1\/10000/);
  });

  it('needs 2 to 5 variants', () => {
    expect(validateExperimentForm(form({ variants: [variant('only', '1')] }), NOW).errors.variants).toBe('An experiment has 2 to 5 variants (this one has 1).');
    const six = evenShares(6).map((s, i) => variant(`v${i}`, s));
    expect(validateExperimentForm(form({ variants: six }), NOW).errors.variants).toMatch(/this one has 6/);
    const five = evenShares(5).map((s, i) => variant(`v${i}`, s));
    expect(validateExperimentForm(form({ variants: five }), NOW).input?.variants).toHaveLength(5);
  });

  it('needs unique variant names of 1 to 40 characters', () => {
    const { errors } = validateExperimentForm(form({ variants: [variant('same', '0.4'), variant(' same ', '0.3'), variant('', '0.3')] }), NOW);
    expect(errors.variantFields[0]?.name).toBeUndefined();
    expect(errors.variantFields[1]?.name).toBe('Another variant is already named “same”: names must be unique.');
    expect(errors.variantFields[2]?.name).toBe('Variant name is required.');
    expect(validateExperimentForm(form({ variants: [variant('x'.repeat(41), '0.5'), variant('b', '0.5')] }), NOW).errors.variantFields[0]?.name).toMatch(/40/);
  });

  it('checks diversity settings only when the variant has its own', () => {
    const bad = { maxPerGenre: '0', mmrLambda: '1.2', calibration: '-0.1', minGenres: '11', noveltyWeight: 'lots' };
    expect(validateExperimentForm(form({ variants: [variant('a', '0.5', bad), variant('b', '0.5')] }), NOW).input).not.toBeNull();
    const { errors } = validateExperimentForm(form({ variants: [variant('a', '0.5', { ...bad, ownDiversity: true }), variant('b', '0.5')] }), NOW);
    expect(Object.keys(errors.variantFields[0]!).sort()).toEqual(['calibration', 'maxPerGenre', 'minGenres', 'mmrLambda', 'noveltyWeight']);
    expect(errors.variantFields[0]?.minGenres).toBe('Min genres must be a whole number from 1 to 10.');
  });

  it('checks the traffic range: 0 ≤ from < to ≤ 1', () => {
    const at = (trafficFrom: string, trafficTo: string) => validateExperimentForm(form({ trafficFrom, trafficTo }), NOW).errors;
    expect(at('0.5', '0.5').trafficTo).toBe('Traffic to must be greater than traffic from.');
    expect(at('0.6', '0.2').trafficTo).toBe('Traffic to must be greater than traffic from.');
    expect(at('-0.1', '1').trafficFrom).toMatch(/from 0/);
    expect(at('0', '1.5').trafficTo).toMatch(/at most 1/);
    expect(at('', '1').trafficFrom).toBeTruthy();
    expect(at('0.30001', '0.30003').trafficTo).toMatch(/wide/);
    expect(validateExperimentForm(form({ trafficFrom: '0.3', trafficTo: '0.7' }), NOW).input).toMatchObject({ trafficFrom: 0.3, trafficTo: 0.7 });
  });

  it('checks guardrails: one per metric, tolerance 0–1', () => {
    const { errors } = validateExperimentForm(
      form({
        guardrails: [
          { metric: 'NOT_INTERESTED', tolerance: '0.05' },
          { metric: 'NOT_INTERESTED', tolerance: '2' },
        ],
      }),
      NOW,
    );
    expect(errors.guardrailFields[0]).toEqual({});
    expect(errors.guardrailFields[1]?.metric).toBe('Another guardrail already watches Not-interested rate.');
    expect(errors.guardrailFields[1]?.tolerance).toMatch(/between 0 and 1/);
  });

  it('checks the attribution window (1–720 whole hours) and the end time (valid, in the future)', () => {
    expect(validateExperimentForm(form({ attributionWindowHours: '0' }), NOW).errors.attributionWindowHours).toMatch(/1 to 720/);
    expect(validateExperimentForm(form({ attributionWindowHours: '721' }), NOW).errors.attributionWindowHours).toBeTruthy();
    expect(validateExperimentForm(form({ attributionWindowHours: '1.5' }), NOW).errors.attributionWindowHours).toBeTruthy();
    expect(validateExperimentForm(form({ attributionWindowHours: '720' }), NOW).input?.attributionWindowHours).toBe(720);
    expect(validateExperimentForm(form({ endsAt: '2026-11-01T10:00' }), NOW).errors.endsAt).toBe('The end must be in the future.');
    expect(validateExperimentForm(form({ endsAt: '2026-02-30T10:00' }), NOW).errors.endsAt).toBe('Enter a valid date and time.');
  });

  it('summarises every problem in the form’s order, naming the variant', () => {
    const { errors } = validateExperimentForm(form({ name: '', variants: [variant('a', '0.5'), variant('a', '0.4')], attributionWindowHours: '0' }), NOW);
    expect(errorSummary(errors)).toEqual([
      'Name is required.',
      'Variant 2: Another variant is already named “a”: names must be unique.',
      'The variants’ shares add up to 0.9; they must add up to 1.',
      'Attribution window must be a whole number of hours from 1 to 720.',
    ]);
  });
});

describe('variant and guardrail helpers', () => {
  it('splits shares evenly in whole buckets that add up to exactly 1', () => {
    expect(evenShares(2)).toEqual(['0.5', '0.5']);
    expect(evenShares(3)).toEqual(['0.3333', '0.3333', '0.3334']);
    expect(evenShares(5)).toEqual(['0.2', '0.2', '0.2', '0.2', '0.2']);
    for (const n of [2, 3, 4, 5]) expect(Math.abs(sharesTotal(evenShares(n).map((s) => variant('x', s))) - 1)).toBeLessThan(1e-9);
    expect(splitEvenly([variant('a', '0.9'), variant('b', '0.9'), variant('c', '')]).map((v) => v.share)).toEqual(['0.3333', '0.3333', '0.3334']);
  });

  it('adds up to 5 variants and keeps at least 2, re-splitting the shares', () => {
    let vs = EMPTY_EXPERIMENT_FORM.variants;
    vs = addVariant(vs);
    expect(vs.map((v) => [v.name, v.share])).toEqual([
      ['control', '0.3333'],
      ['treatment', '0.3333'],
      ['variant-3', '0.3334'],
    ]);
    vs = addVariant(addVariant(vs));
    expect(vs).toHaveLength(5);
    expect(addVariant(vs)).toHaveLength(5);
    vs = removeVariant(vs, 0);
    expect(vs.map((v) => v.share)).toEqual(['0.25', '0.25', '0.25', '0.25']);
    expect(vs[0]?.name).toBe('treatment');
    expect(removeVariant(EMPTY_EXPERIMENT_FORM.variants, 0)).toHaveLength(2);
  });

  it('adds guardrails on metrics not yet watched', () => {
    const one = addGuardrail([]);
    expect(one).toEqual([{ metric: 'CLICK_THROUGH', tolerance: '0.05' }]);
    expect(addGuardrail(one)[1]?.metric).toBe('COMPLETION');
    let all = one;
    for (let i = 0; i < 10; i++) all = addGuardrail(all);
    expect(all).toHaveLength(6);
  });

  it('reads decimals with a point or a comma', () => {
    expect(parseDecimal('0.5')).toBe(0.5);
    expect(parseDecimal(' .25 ')).toBe(0.25);
    expect(parseDecimal('0,75')).toBe(0.75);
    expect(parseDecimal('1e3')).toBeNull();
    expect(parseDecimal('')).toBeNull();
    expect(parseDecimal('50%')).toBeNull();
  });
});

describe('experiment lifecycle and results', () => {
  it('allows start for drafts, stop while running, ship when running or stopped and nothing shipped', () => {
    expect(experimentActions({ status: 'DRAFT', shippedVariant: null })).toEqual({ start: true, stop: false, ship: false });
    expect(experimentActions({ status: 'RUNNING', shippedVariant: null })).toEqual({ start: false, stop: true, ship: true });
    expect(experimentActions({ status: 'STOPPED', shippedVariant: null })).toEqual({ start: false, stop: false, ship: true });
    expect(experimentActions({ status: 'STOPPED', shippedVariant: 'control' })).toEqual({ start: false, stop: false, ship: false });
  });

  it('never offers to ship a variant with curation off', () => {
    const e = experiment();
    expect(canShipVariant(e, e.variants[0]!)).toBe(true);
    expect(canShipVariant(e, e.variants[1]!)).toBe(false);
    expect(canShipVariant({ ...e, status: 'DRAFT' }, e.variants[0]!)).toBe(false);
    expect(canShipVariant({ ...e, shippedVariant: 'control' }, e.variants[0]!)).toBe(false);
  });

  it('asks for a stop reason of at most 500 characters', () => {
    expect(validateStopReason('  ')).toMatch(/Give a reason/);
    expect(validateStopReason('x'.repeat(501))).toMatch(/500/);
    expect(validateStopReason('Enough data')).toBeUndefined();
  });

  it('tells statuses apart', () => {
    expect(isExperimentStatus('RUNNING')).toBe(true);
    expect(isExperimentStatus('running')).toBe(false);
    expect(isExperimentStatus(null)).toBe(false);
  });

  it('builds one table per metric, the primary first, with breaches marked', () => {
    const tables = metricTables(experiment(), results);
    expect(tables.map((t) => [t.metric, t.primary, t.guardrail])).toEqual([
      ['CLICK_THROUGH', true, null],
      ['NOT_INTERESTED', false, 0.05],
    ]);
    expect(tables[0]!.rows.map((r) => [r.variant, r.control, r.result?.value, r.breached])).toEqual([
      ['control', true, 0.12, false],
      ['no-curation', false, 0.15, false],
    ]);
    expect(tables[1]!.rows[1]!.breached).toBe(true);
    expect(totalUsers(results)).toBe(1000);
    expect(totalUsers(null)).toBe(0);
    expect(observedShares(experiment().variants, results)).toEqual([
      { name: 'control', asked: 0.5, observed: 0.6 },
      { name: 'no-curation', asked: 0.5, observed: 0.4 },
    ]);
  });

  it('reads a significant difference in the right direction (lower is better for NOT_INTERESTED)', () => {
    const up = { difference: 0.01, significant: true };
    expect(verdict('CLICK_THROUGH', up)).toBe('better');
    expect(verdict('NOT_INTERESTED', up)).toBe('worse');
    expect(verdict('NOT_INTERESTED', { difference: -0.01, significant: true })).toBe('better');
    expect(verdict('CLICK_THROUGH', { difference: 0.01, significant: false })).toBe('inconclusive');
    expect(verdict('CLICK_THROUGH', null)).toBe('inconclusive');
  });

  it('formats values, intervals, differences and p-values', () => {
    expect(formatMetricValue('CLICK_THROUGH', 0.1234)).toBe('12.34 %');
    expect(formatMetricValue('MEAN_RATING', 3.874)).toBe('3.87');
    expect(formatMetricValue('CLICKS_PER_USER', 1.23456)).toBe('1.235');
    expect(formatMetricValue('COMPLETION', null)).toBe('—');
    expect(formatInterval('CLICK_THROUGH', 0.1, 0.1468)).toBe('10.00 % – 14.68 %');
    expect(formatInterval('CLICK_THROUGH', null, 0.2)).toBe('—');
    expect(formatDifference('CLICK_THROUGH', 0.012)).toBe('+1.20 pp');
    expect(formatDifference('NOT_INTERESTED', -0.004)).toBe('−0.40 pp');
    expect(formatDifference('CLICKS_PER_USER', -0.05)).toBe('−0.050');
    expect(formatRelative(0.045)).toBe('+4.5 %');
    expect(formatRelative(null)).toBe('—');
    expect(formatPValue(0.0002)).toBe('< 0.001');
    expect(formatPValue(0.0042)).toBe('0.004');
    expect(formatPValue(0.51)).toBe('0.51');
    expect(formatPStatement(0.0002)).toBe('p < 0.001');
    expect(formatPStatement(0.042)).toBe('p = 0.042');
    expect(controlNote('baseline', 0)).toBe(' (control)');
    expect(controlNote('control', 0)).toBe('');
    expect(controlNote('treatment', 1)).toBe('');
    expect(formatShare(0.5)).toBe('50 %');
    expect(formatShare(0.3333)).toBe('33.33 %');
    expect(formatTraffic(0, 1)).toBe('All users (0–1)');
    expect(formatTraffic(0.3, 0.7)).toBe('40 % of users (0.3–0.7)');
    expect(formatMetricTick('CLICK_THROUGH', 0.125)).toBe('12.5 %');
    expect(formatMetricTick('MEAN_RATING', 3.5)).toBe('3.5');
  });

  it('describes variants and their diversity settings', () => {
    expect(describeVariants(experiment().variants)).toBe('control 50 % · no-curation 50 % (curation off)');
    expect(describeVariantDiversity(null)).toBe('Surface’s settings');
    expect(describeVariantDiversity({ maxPerGenre: 2, mmrLambda: 0.7, calibration: 0, minGenres: null, noveltyWeight: 0.1 })).toBe(
      'max 2 per genre · λ 0.7 · calibration 0 · novelty 0.1',
    );
  });
});

describe('results over time', () => {
  it('labels each point by the day it closes, the last as now, with a band per variant', () => {
    const m = (value: number | null, low: number | null, high: number | null) => ({ metric: 'CLICK_THROUGH' as const, value, low, high });
    const points = [
      { at: '2026-11-02T00:00:00Z', variants: [{ name: 'control', metrics: [m(0.1, 0.05, 0.15)] }, { name: 'b', metrics: [m(null, null, null)] }] },
      { at: '2026-11-03T00:00:00Z', variants: [{ name: 'control', metrics: [m(0.12, 0.1, 0.14)] }, { name: 'b', metrics: [m(0.2, 0.1, 0.3)] }] },
      { at: '2026-11-03T09:30:00Z', variants: [{ name: 'control', metrics: [m(0.11, 0.1, 0.12)] }] },
    ];
    const r = overTimeSeries(points, 'CLICK_THROUGH', ['control', 'b'], 'Now');
    expect(r.labels).toEqual(['1 Nov', '2 Nov', 'Now']);
    expect(r.series).toEqual([
      { key: 'control', label: 'control', values: [0.1, 0.12, 0.11], low: [0.05, 0.1, 0.1], high: [0.15, 0.14, 0.12] },
      // Undefined at first, then missing from the last point: gaps, not zeros.
      { key: 'b', label: 'b', values: [null, 0.2, null], low: [null, 0.1, null], high: [null, 0.3, null] },
    ]);
    expect(overTimeSeries([], 'CLICK_THROUGH', ['control'], 'Now')).toEqual({
      labels: [],
      series: [{ key: 'control', label: 'control', values: [], low: [], high: [] }],
    });
  });
});

describe('interval chart layout', () => {
  const points = [
    { label: 'control', value: 0.12, low: 0.1, high: 0.14 },
    { label: 'no-curation', value: 0.15, low: 0.13, high: 0.17 },
    { label: 'empty', value: null, low: null, high: null },
  ];

  it('places one column per variant and covers every interval end', () => {
    const l = intervalChartLayout({ points, width: 600, height: 200, margin: { left: 60, top: 10, right: 0, bottom: 40 } });
    expect(l.items.map((i) => i.x)).toEqual([150, 330, 510]);
    const ticks = l.yTicks.map((t) => t.value);
    expect(ticks[0]).toBeLessThanOrEqual(0.1);
    expect(ticks[ticks.length - 1]).toBeGreaterThanOrEqual(0.17);
    // Higher values sit higher (smaller y); the whisker spans the interval around the point.
    const [c, t, empty] = l.items;
    expect(t!.y!).toBeLessThan(c!.y!);
    expect(c!.yHigh!).toBeLessThan(c!.y!);
    expect(c!.yLow!).toBeGreaterThan(c!.y!);
    expect(empty).toMatchObject({ value: null, y: null, yLow: null, yHigh: null });
    expect(l.reference).toBe(c!.y);
  });

  it('starts at 0 when asked, and copes with no values', () => {
    expect(intervalChartLayout({ points, zeroBased: true }).yTicks[0]!.value).toBe(0);
    const none = intervalChartLayout({ points: [{ label: 'a', value: null, low: null, high: null }] });
    expect(none.yTicks.map((t) => t.value)).toEqual([0, 1]);
    expect(none.reference).toBeNull();
  });
});

describe('variants with a candidate pool or blend weights', () => {
  type Variant = ReturnType<typeof experiment>['variants'][number];
  const v = (name: string, patch: Partial<Variant> = {}): Variant => ({
    name,
    share: 0.5,
    curation: true,
    diversity: null,
    candidatePool: null,
    blendWeights: [],
    ...patch,
  });
  const blend = (...pairs: Array<[string, number]>) => pairs.map(([component, factor]) => ({ component, factor }));

  it('describes the pool and the blend factors in one line, or nothing for the defaults', () => {
    expect(describeVariantRanking(v('control'))).toBeNull();
    expect(describeVariantRanking(v('small', { candidatePool: 200 }))).toBe('pool 200');
    expect(describeVariantRanking(v('pop', { blendWeights: blend(['popularity', 2], ['als', 0]) }))).toBe('blend: popularity ×2, als ×0');
    expect(describeVariantRanking(v('both', { candidatePool: 200, blendWeights: blend(['popularity', 2], ['als', 0]) }))).toBe(
      'pool 200 · blend: popularity ×2, als ×0',
    );
    expect(formatBlendFactor(0.5)).toBe('×0.5');
    expect(formatBlendFactor(1.25)).toBe('×1.25');
    expect(formatBlendFactor(0.1 + 0.2)).toBe('×0.3');
  });

  it('adds them to the variants’ summary next to curation off', () => {
    expect(
      describeVariants([
        v('control'),
        v('pop', { share: 0.25, blendWeights: blend(['popularity', 2]) }),
        v('raw', { share: 0.25, curation: false, candidatePool: 2000 }),
      ]),
    ).toBe('control 50 % · pop 25 % (blend: popularity ×2) · raw 25 % (curation off; pool 2000)');
  });

  it('never ships a variant with a candidate pool or a blend factor other than 1, and says why', () => {
    const e = experiment();
    expect(canShipVariant(e, v('control'))).toBe(true);
    expect(shipBlocker(v('control'))).toBeNull();
    // Factors of 1 change nothing: the server ships such a variant.
    expect(canShipVariant(e, v('same', { blendWeights: blend(['als', 1], ['ease', 1]) }))).toBe(true);

    const pool = v('pool', { candidatePool: 200 });
    const pop = v('pop', { blendWeights: blend(['als', 1], ['popularity', 2]) });
    const off = v('off', { blendWeights: blend(['als', 0]) });
    for (const x of [pool, pop, off]) expect(canShipVariant(e, x), x.name).toBe(false);
    expect(shipBlocker(pool)).toBe('Cannot be shipped: its candidate pool is not a server setting');
    expect(shipBlocker(pop)).toBe('Cannot be shipped: its blend weights are not server settings');
    expect(shipBlocker(v('both', { candidatePool: 200, blendWeights: blend(['als', 0]) }))).toBe(
      'Cannot be shipped: its candidate pool and blend weights are not server settings',
    );
    // Curation off keeps its message, and comes first.
    expect(shipBlocker(v('raw', { curation: false }))).toBe('Cannot be shipped: curation off');
    expect(shipBlocker(v('raw', { curation: false, candidatePool: 200 }))).toBe('Cannot be shipped: curation off; its candidate pool is not a server setting');
  });
});
