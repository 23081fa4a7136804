// Pins, rules and editorial performance as the API returns them (Pins & rules, Collections).
import type { EditorialPerformanceFieldsFragment, PlacementRowFragment, RuleRowFragment } from '../src/gql/graphql';

/** A pin of the collection "Noir Week" on Home, row 2, for new users in France, from 1 Nov 2026 10:00 Paris time. */
export const placementRow = (patch: Partial<PlacementRowFragment> = {}): PlacementRowFragment => ({
  id: 'UGxhY2VtZW50OjE',
  surface: { kind: 'HOME', genre: null },
  position: 2,
  startsAt: '2026-11-01T09:00:00.000000123Z',
  endsAt: null,
  live: true,
  createdAt: '2026-10-30T12:00:00Z',
  audience: { newUsers: true, genreAffinity: null, ageBands: [], countries: ['FR'], description: 'New users · in FR' },
  movie: null,
  collection: { id: 'Q29sbGVjdGlvbjox', slug: 'noir-week', title: 'Noir Week', status: 'PUBLISHED' },
  ...patch,
});

/** A boost ×2 of the genre Documentary on Home until 1 Dec 2026 09:59:30 Paris time, with a public reason and an internal note. */
export const ruleRow = (patch: Partial<RuleRowFragment> = {}): RuleRowFragment => ({
  id: 'UnVsZTo3',
  kind: 'BOOST',
  multiplier: 2,
  movie: null,
  genre: 'Documentary',
  person: null,
  yearFrom: null,
  yearTo: null,
  surface: { kind: 'HOME', genre: null },
  startsAt: null,
  endsAt: '2026-12-01T08:59:30Z',
  note: 'Agreed with marketing for November',
  reason: 'Documentary month',
  live: true,
  createdAt: '2026-10-30T12:00:00Z',
  ...patch,
});

/** One performance row carrying `key` = `id`: 1,200 impressions, CTR 12 % (10–14.68 %), completion 5 %. */
export const performanceRow = (
  key: 'collectionId' | 'placementId' | 'ruleId',
  id: string,
  patch: Partial<EditorialPerformanceFieldsFragment> = {},
): EditorialPerformanceFieldsFragment => ({
  collectionId: null,
  placementId: null,
  ruleId: null,
  [key]: id,
  impressions: 1200,
  shown: 800,
  users: 300,
  clicks: 96,
  completions: 40,
  clickThrough: { value: 0.12, low: 0.1, high: 0.1468 },
  completionRate: { value: 0.05, low: 0.0349, high: 0.0651 },
  ...patch,
});
