// Pins (placements) and boost/bury/block rules: surfaces, form validation and API inputs.
import type { PlacementInput, RuleInput, RuleKind } from '../gql/graphql';
import { parseAudience, type AudienceFormValues } from './audience';
import { parseSchedule } from './dates';

/** A surface is "HOME", "RECOMMENDATIONS" or "GENRE:<genre name>". */
export type SurfaceKind = 'HOME' | 'RECOMMENDATIONS' | 'GENRE';

export function parseSurface(s: string): { kind: SurfaceKind; genre: string } | null {
  if (s === 'HOME' || s === 'RECOMMENDATIONS') return { kind: s, genre: '' };
  if (s.startsWith('GENRE:') && s.length > 'GENRE:'.length) return { kind: 'GENRE', genre: s.slice('GENRE:'.length) };
  return null;
}

export function surfaceValue(kind: SurfaceKind, genre: string): string {
  return kind === 'GENRE' ? `GENRE:${genre.trim()}` : kind;
}

/** "Home", "Recommendations", "Genre page: Drama"; unknown strings as they are. */
export function surfaceLabel(s: string | null | undefined): string {
  if (s == null) return 'All surfaces';
  const p = parseSurface(s);
  if (!p) return s;
  return p.kind === 'HOME' ? 'Home' : p.kind === 'RECOMMENDATIONS' ? 'Recommendations' : `Genre page: ${p.genre}`;
}

/** Every surface a select offers: the two fixed ones, then one per genre. */
export function surfaceOptions(genres: readonly string[]): Array<{ value: string; label: string }> {
  return [
    { value: 'HOME', label: surfaceLabel('HOME') },
    { value: 'RECOMMENDATIONS', label: surfaceLabel('RECOMMENDATIONS') },
    ...[...genres].sort((a, b) => a.localeCompare(b)).map((g) => ({ value: `GENRE:${g}`, label: surfaceLabel(`GENRE:${g}`) })),
  ];
}

function wholeNumber(s: string): number | null {
  const t = s.trim();
  return /^-?\d+$/.test(t) ? Number(t) : null;
}

// ---------- placements ----------

export interface PlacementFormValues {
  surface: string;
  position: string;
  targetKind: 'movie' | 'collection';
  movieId: string;
  collectionId: string;
  startsAt: string;
  endsAt: string;
  audience: AudienceFormValues;
}

export type PlacementFormErrors = Partial<Record<'surface' | 'position' | 'target' | 'startsAt' | 'endsAt' | 'audience', string>>;

export function validatePlacementForm(v: PlacementFormValues): { errors: PlacementFormErrors; input: PlacementInput | null } {
  const errors: PlacementFormErrors = {};
  if (!parseSurface(v.surface)) errors.surface = 'Choose a surface.';
  const position = wholeNumber(v.position);
  if (position === null) errors.position = 'Position must be a whole number.';
  else if (position < 1) errors.position = 'Position must be 1 or more.';
  else if (position > 100) errors.position = 'Position must be at most 100.';
  const target = v.targetKind === 'movie' ? v.movieId.trim() : v.collectionId.trim();
  if (!target) errors.target = v.targetKind === 'movie' ? 'Choose a movie.' : 'Choose a collection.';
  const schedule = parseSchedule(v);
  Object.assign(errors, schedule.errors);
  const audience = parseAudience(v.audience);
  if (audience.error) errors.audience = audience.error;
  if (Object.keys(errors).length > 0 || !schedule.parsed || !audience.input || position === null) return { errors, input: null };

  const input: PlacementInput = { surface: v.surface, position, audience: audience.input };
  if (v.targetKind === 'movie') input.movieId = target;
  else input.collectionId = target;
  if (schedule.parsed.startsAt) input.startsAt = schedule.parsed.startsAt;
  if (schedule.parsed.endsAt) input.endsAt = schedule.parsed.endsAt;
  return { errors, input };
}

// ---------- rules ----------

export type RuleTargetKind = 'movie' | 'genre' | 'person' | 'years';

export interface RuleFormValues {
  kind: RuleKind;
  /** Empty: the server's default (BOOST 1.5, BURY 0.5). */
  multiplier: string;
  targetKind: RuleTargetKind;
  movieId: string;
  genre: string;
  personId: string;
  yearFrom: string;
  yearTo: string;
  /** Empty: every surface. */
  surface: string;
  startsAt: string;
  endsAt: string;
  note: string;
}

export type RuleFormErrors = Partial<Record<'multiplier' | 'target' | 'yearFrom' | 'yearTo' | 'surface' | 'startsAt' | 'endsAt' | 'note', string>>;

export const EMPTY_RULE_FORM: RuleFormValues = {
  kind: 'BOOST',
  multiplier: '',
  targetKind: 'movie',
  movieId: '',
  genre: '',
  personId: '',
  yearFrom: '',
  yearTo: '',
  surface: '',
  startsAt: '',
  endsAt: '',
  note: '',
};

export const DEFAULT_MULTIPLIER: Readonly<Record<RuleKind, number>> = { BOOST: 1.5, BURY: 0.5, BLOCK: 0 };

export function validateRuleForm(v: RuleFormValues): { errors: RuleFormErrors; input: RuleInput | null } {
  const errors: RuleFormErrors = {};
  let multiplier: number | null = null;
  const m = v.multiplier.trim();
  if (v.kind !== 'BLOCK' && m) {
    const n = Number(m);
    if (!Number.isFinite(n)) errors.multiplier = 'Multiplier must be a number.';
    else if (v.kind === 'BOOST' && !(n > 1 && n <= 10)) errors.multiplier = 'A boost multiplies by more than 1 (at most 10).';
    else if (v.kind === 'BURY' && !(n > 0 && n < 1)) errors.multiplier = 'A bury multiplies by more than 0 and less than 1.';
    else multiplier = n;
  }

  const input: RuleInput = { kind: v.kind };
  switch (v.targetKind) {
    case 'movie':
      if (!v.movieId.trim()) errors.target = 'Choose a movie.';
      else input.movieId = v.movieId.trim();
      break;
    case 'genre':
      if (!v.genre.trim()) errors.target = 'Choose a genre.';
      else input.genre = v.genre.trim();
      break;
    case 'person':
      if (!v.personId.trim()) errors.target = 'Enter a person id.';
      else input.personId = v.personId.trim();
      break;
    case 'years': {
      const from = v.yearFrom.trim();
      const to = v.yearTo.trim();
      if (!from && !to) errors.target = 'Enter a first year, a last year, or both.';
      if (from && !/^\d{4}$/.test(from)) errors.yearFrom = 'Enter a four-digit year.';
      if (to && !/^\d{4}$/.test(to)) errors.yearTo = 'Enter a four-digit year.';
      if (!errors.yearFrom && !errors.yearTo && from && to && Number(from) > Number(to)) errors.yearTo = 'The last year must not be before the first.';
      if (from) input.yearFrom = Number(from);
      if (to) input.yearTo = Number(to);
      break;
    }
  }
  if (v.surface && !parseSurface(v.surface)) errors.surface = 'Unknown surface.';
  const schedule = parseSchedule(v);
  Object.assign(errors, schedule.errors);
  const note = v.note.trim();
  if ([...note].length > 500) errors.note = 'Note must be at most 500 characters.';

  if (Object.keys(errors).length > 0 || !schedule.parsed) return { errors, input: null };
  if (multiplier !== null) input.multiplier = multiplier;
  if (v.surface) input.surface = v.surface;
  if (schedule.parsed.startsAt) input.startsAt = schedule.parsed.startsAt;
  if (schedule.parsed.endsAt) input.endsAt = schedule.parsed.endsAt;
  if (note) input.note = note;
  return { errors, input };
}

/** What a rule applies to, in words. */
export function describeRuleTarget(r: {
  movie?: { title: string; year?: number | null } | null;
  genre?: string | null;
  person?: { name: string } | null;
  yearFrom?: number | null;
  yearTo?: number | null;
}): string {
  if (r.movie) return `Movie: ${r.movie.title}${r.movie.year ? ` (${r.movie.year})` : ''}`;
  if (r.genre) return `Genre: ${r.genre}`;
  if (r.person) return `Person: ${r.person.name}`;
  if (r.yearFrom != null && r.yearTo != null) return r.yearFrom === r.yearTo ? `Released in ${r.yearFrom}` : `Released ${r.yearFrom}–${r.yearTo}`;
  if (r.yearFrom != null) return `Released in or after ${r.yearFrom}`;
  if (r.yearTo != null) return `Released in or before ${r.yearTo}`;
  return '—';
}

/** "×1.5", "×0.5", "hidden" for a block. */
export function describeMultiplier(kind: RuleKind, multiplier: number): string {
  return kind === 'BLOCK' ? 'Hidden' : `×${Number(multiplier.toFixed(3))}`;
}

