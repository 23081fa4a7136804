// Typed operations and data for tests: the console's own, plus a minimal one.
import type { ExperimentDetailFragment, ExperimentResultsFieldsFragment } from '../src/gql/graphql';
import type { Operation } from '../src/lib/client';
export { LoginDocument } from '../src/gql/graphql';

export const CatalogueStatsDocumentForTest = '{ catalogueStats { movies } }' as unknown as Operation<
  { catalogueStats: { movies: number } },
  Record<string, never>
>;

/** A running experiment: control and "no-curation" (curation off), 50/50 on RECOMMENDATIONS. */
export const experiment = (patch: Partial<ExperimentDetailFragment> = {}): ExperimentDetailFragment => ({
  id: '7',
  name: 'No curation',
  description: null,
  surface: 'RECOMMENDATIONS',
  status: 'RUNNING',
  trafficFrom: 0,
  trafficTo: 1,
  orthogonal: false,
  primaryMetric: 'CLICK_THROUGH',
  attributionWindowHours: 24,
  createdAt: '2026-11-20T10:00:00Z',
  startedAt: '2026-11-20T11:00:00Z',
  stoppedAt: null,
  endsAt: null,
  stopReason: null,
  shippedVariant: null,
  variants: [
    { name: 'control', share: 0.5, curation: true, diversity: null, candidatePool: null, blendWeights: [] },
    { name: 'no-curation', share: 0.5, curation: false, diversity: null, candidatePool: null, blendWeights: [] },
  ],
  guardrails: [{ metric: 'NOT_INTERESTED', tolerance: 0.05 }],
  results: null,
  ...patch,
});

/** Results with a sample-ratio mismatch, a significant primary metric and a breached guardrail. */
export const experimentResults: ExperimentResultsFieldsFragment & Pick<NonNullable<ExperimentDetailFragment['results']>, 'overTime'> = {
  computedAt: '2026-11-22T12:00:00Z',
  sampleRatio: { chiSquare: 14.2, pValue: 0.0002, mismatch: true },
  variants: [
    {
      name: 'control',
      users: 600,
      lists: 1500,
      coverage: 0.42,
      breachedGuardrails: [],
      metrics: [
        { metric: 'NOT_INTERESTED', value: 0.01, low: 0.008, high: 0.012, stdErr: 0.001, vsControl: null },
        { metric: 'CLICK_THROUGH', value: 0.12, low: 0.1, high: 0.14, stdErr: 0.01, vsControl: null },
      ],
    },
    {
      name: 'no-curation',
      users: 400,
      lists: 1000,
      coverage: 0.55,
      breachedGuardrails: ['NOT_INTERESTED'],
      metrics: [
        {
          metric: 'CLICK_THROUGH',
          value: 0.15,
          low: 0.13,
          high: 0.17,
          stdErr: 0.01,
          vsControl: { difference: 0.03, low: 0.002, high: 0.058, relative: 0.25, pValue: 0.034, significant: true, z: 2.12 },
        },
        {
          metric: 'NOT_INTERESTED',
          value: 0.02,
          low: 0.017,
          high: 0.023,
          stdErr: 0.0015,
          vsControl: { difference: 0.01, low: 0.006, high: 0.014, relative: 1, pValue: 0.00001, significant: true, z: 5.5 },
        },
      ],
    },
  ],
  // Two days and now: click-through per variant, cumulative.
  overTime: [
    ['2026-11-21T00:00:00Z', 0.1, 0.16],
    ['2026-11-22T00:00:00Z', 0.11, 0.15],
    ['2026-11-22T12:00:00Z', 0.12, 0.15],
  ].map(([at, c, t]) => ({
    at: at as string,
    variants: [
      { name: 'control', metrics: [{ metric: 'CLICK_THROUGH' as const, value: c as number, low: (c as number) - 0.02, high: (c as number) + 0.02 }] },
      { name: 'no-curation', metrics: [{ metric: 'CLICK_THROUGH' as const, value: t as number, low: (t as number) - 0.02, high: (t as number) + 0.02 }] },
    ],
  })),
};
