// Pins (placements) and boost/bury/block rules: surfaces, form validation and API inputs.
import type {
  CreatePlacementInput,
  CreateRuleInput,
  PlacementRowFragment,
  PlacementTargetInput,
  RuleKind,
  RuleRowFragment,
  RuleTargetInput,
  SurfaceInput,
  SurfaceKind,
  YearRangeInput,
} from '../gql/graphql';
import { audienceFormFrom, parseAudience, type AudienceFormValues } from './audience';
import { isoToLocalInput, parseSchedule } from './dates';
import { ApiError } from './errors';

export type { SurfaceKind };

/** A surface as the API returns it (`Surface`: `{kind: GENRE, genre: "Drama"}`). */
export interface SurfaceValue {
  kind: SurfaceKind;
  genre?: string | null;
}

/**
 * Inside the console (forms, selects, URLs) a surface is a key: "HOME", "RECOMMENDATIONS" or
 * "GENRE:<genre name>". `surfaceKey` and `surfaceInput` convert to and from the API's types.
 */
export function parseSurface(s: string): { kind: SurfaceKind; genre: string } | null {
  if (s === 'HOME' || s === 'RECOMMENDATIONS') return { kind: s, genre: '' };
  if (s.startsWith('GENRE:') && s.length > 'GENRE:'.length) return { kind: 'GENRE', genre: s.slice('GENRE:'.length) };
  return null;
}

export function surfaceValue(kind: SurfaceKind, genre: string): string {
  return kind === 'GENRE' ? `GENRE:${genre.trim()}` : kind;
}

/** The key of a surface the API returned ({kind: GENRE, genre: "Drama"} → "GENRE:Drama"); null stays null (every surface). */
export function surfaceKey(s: SurfaceValue): string;
export function surfaceKey(s: SurfaceValue | null | undefined): string | null;
export function surfaceKey(s: SurfaceValue | null | undefined): string | null {
  if (!s) return null;
  return s.kind === 'GENRE' ? `GENRE:${s.genre ?? ''}` : s.kind;
}

/** The SurfaceInput a key names ("GENRE:Drama" → {kind: GENRE, genre: "Drama"}); null when it names none. */
export function surfaceInput(key: string | null | undefined): SurfaceInput | null {
  const p = key ? parseSurface(key) : null;
  if (!p) return null;
  return p.kind === 'GENRE' ? { kind: 'GENRE', genre: p.genre } : { kind: p.kind };
}

/** "Home", "Recommendations", "Genre page: Drama" (from a key or the API's Surface); unknown keys as they are; null: every surface. */
export function surfaceLabel(surface: string | SurfaceValue | null | undefined): string {
  if (surface == null) return 'All surfaces';
  const s = typeof surface === 'string' ? surface : surfaceKey(surface);
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

export function validatePlacementForm(v: PlacementFormValues): { errors: PlacementFormErrors; input: CreatePlacementInput | null } {
  const errors: PlacementFormErrors = {};
  const surface = surfaceInput(v.surface);
  if (!surface) errors.surface = 'Choose a surface.';
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
  if (Object.keys(errors).length > 0 || !schedule.parsed || !audience.input || !surface || position === null) return { errors, input: null };

  const pinned: PlacementTargetInput = v.targetKind === 'movie' ? { movieId: target } : { collectionId: target };
  const input: CreatePlacementInput = { surface, position, target: pinned, audience: audience.input };
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
  /** Internal note for editors; never shown to subscribers. */
  note: string;
  /** A boost's public reason ("Editor's pick: <reason>"); ignored for BURY and BLOCK. */
  reason: string;
}

export type RuleFormErrors = Partial<
  Record<'multiplier' | 'target' | 'yearFrom' | 'yearTo' | 'surface' | 'startsAt' | 'endsAt' | 'note' | 'reason', string>
>;

/** The API keeps at most this many characters of a rule's internal note (CreateRuleInput.note). */
export const RULE_NOTE_MAX_CHARS = 1000;
/** A boost's public reason must fit a card: at most this many characters (CreateRuleInput.reason). */
export const RULE_REASON_MAX_CHARS = 80;

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
  reason: '',
};

export const DEFAULT_MULTIPLIER: Readonly<Record<RuleKind, number>> = { BOOST: 1.5, BURY: 0.5, BLOCK: 0 };

export function validateRuleForm(v: RuleFormValues): { errors: RuleFormErrors; input: CreateRuleInput | null } {
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

  // What the rule applies to: exactly one of a movie, a genre, a person and a year range.
  let target: RuleTargetInput | null = null;
  switch (v.targetKind) {
    case 'movie':
      if (!v.movieId.trim()) errors.target = 'Choose a movie.';
      else target = { movieId: v.movieId.trim() };
      break;
    case 'genre':
      if (!v.genre.trim()) errors.target = 'Choose a genre.';
      else target = { genre: v.genre.trim() };
      break;
    case 'person':
      if (!v.personId.trim()) errors.target = 'Enter a person id.';
      else target = { personId: v.personId.trim() };
      break;
    case 'years': {
      const from = v.yearFrom.trim();
      const to = v.yearTo.trim();
      if (!from && !to) errors.target = 'Enter a first year, a last year, or both.';
      if (from && !/^\d{4}$/.test(from)) errors.yearFrom = 'Enter a four-digit year.';
      if (to && !/^\d{4}$/.test(to)) errors.yearTo = 'Enter a four-digit year.';
      if (!errors.yearFrom && !errors.yearTo && from && to && Number(from) > Number(to)) errors.yearTo = 'The last year must not be before the first.';
      const years: YearRangeInput = {};
      if (from) years.from = Number(from);
      if (to) years.to = Number(to);
      if (from || to) target = { years };
      break;
    }
  }
  if (v.surface && !parseSurface(v.surface)) errors.surface = 'Unknown surface.';
  const schedule = parseSchedule(v);
  Object.assign(errors, schedule.errors);
  const note = v.note.trim();
  if ([...note].length > RULE_NOTE_MAX_CHARS) errors.note = `The note must be at most ${RULE_NOTE_MAX_CHARS} characters.`;
  // Only a boost has a public reason (the API refuses one on BURY and BLOCK): otherwise it is dropped.
  const reason = v.kind === 'BOOST' ? v.reason.trim() : '';
  if ([...reason].length > RULE_REASON_MAX_CHARS) errors.reason = `The public reason must be at most ${RULE_REASON_MAX_CHARS} characters.`;

  if (Object.keys(errors).length > 0 || !schedule.parsed || !target) return { errors, input: null };
  const input: CreateRuleInput = { kind: v.kind, target };
  if (multiplier !== null) input.multiplier = multiplier;
  const surface = surfaceInput(v.surface);
  if (surface) input.surface = surface;
  if (schedule.parsed.startsAt) input.startsAt = schedule.parsed.startsAt;
  if (schedule.parsed.endsAt) input.endsAt = schedule.parsed.endsAt;
  if (note) input.note = note;
  if (reason) input.reason = reason;
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


// ---------- editing in place, public reasons, server errors ----------

/** "Heat (1995)". */
export function movieLabel(m: { title: string; year?: number | null }): string {
  return `${m.title}${m.year ? ` (${m.year})` : ''}`;
}

/** The pin form filled with a placement's settings (times in the browser's zone). */
export function placementFormFrom(p: PlacementRowFragment): PlacementFormValues {
  return {
    surface: surfaceKey(p.surface),
    position: String(p.position),
    targetKind: p.movie ? 'movie' : 'collection',
    movieId: p.movie?.id ?? '',
    collectionId: p.collection?.id ?? '',
    startsAt: isoToLocalInput(p.startsAt),
    endsAt: isoToLocalInput(p.endsAt),
    audience: audienceFormFrom(p.audience),
  };
}

/** The rule form filled with a rule's settings; a block's multiplier stays empty. */
export function ruleFormFrom(r: RuleRowFragment): RuleFormValues {
  const targetKind: RuleTargetKind = r.movie ? 'movie' : r.genre ? 'genre' : r.person ? 'person' : 'years';
  return {
    kind: r.kind,
    multiplier: r.kind === 'BLOCK' ? '' : String(r.multiplier),
    targetKind,
    movieId: r.movie?.id ?? '',
    genre: r.genre ?? '',
    personId: r.person?.id ?? '',
    yearFrom: r.yearFrom != null ? String(r.yearFrom) : '',
    yearTo: r.yearTo != null ? String(r.yearTo) : '',
    surface: surfaceKey(r.surface) ?? '',
    startsAt: isoToLocalInput(r.startsAt),
    endsAt: isoToLocalInput(r.endsAt),
    note: r.note ?? '',
    reason: r.reason ?? '',
  };
}

/**
 * A datetime-local input holds minutes only: a start or end the editor left as it was is sent
 * back as the exact instant the API gave, so saving other changes never moves it.
 */
function keepUnchangedInstants<T extends { startsAt?: string | null; endsAt?: string | null }>(
  input: T,
  form: { startsAt: string; endsAt: string },
  original: { startsAt: string | null; endsAt: string | null },
): T {
  const out = { ...input };
  if (out.startsAt && original.startsAt && form.startsAt === isoToLocalInput(original.startsAt)) out.startsAt = original.startsAt;
  if (out.endsAt && original.endsAt && form.endsAt === isoToLocalInput(original.endsAt)) out.endsAt = original.endsAt;
  return out;
}

/**
 * The settings for `updatePlacement` (its input without the id), which replace every setting:
 * what the form leaves empty is cleared (no start, no end, everyone). Same checks as a new pin.
 */
export function toPlacementUpdate(
  v: PlacementFormValues,
  original: Pick<PlacementRowFragment, 'startsAt' | 'endsAt'>,
): { errors: PlacementFormErrors; input: CreatePlacementInput | null } {
  const r = validatePlacementForm(v);
  return r.input ? { errors: r.errors, input: keepUnchangedInstants(r.input, v, original) } : r;
}

/**
 * The settings for `updateRule` (its input without the id), which replace every setting: an
 * empty note or reason is removed, an empty multiplier becomes the kind's default, and a rule
 * that is no longer a boost loses its public reason. Same checks as a new rule.
 */
export function toRuleUpdate(v: RuleFormValues, original: Pick<RuleRowFragment, 'startsAt' | 'endsAt'>): { errors: RuleFormErrors; input: CreateRuleInput | null } {
  const r = validateRuleForm(v);
  return r.input ? { errors: r.errors, input: keepUnchangedInstants(r.input, v, original) } : r;
}

/** What subscribers read next to a boosted movie: "Editor's pick: <reason>", or "Editor's pick" without one. */
export function publicReasonText(reason: string | null | undefined): string {
  const r = reason?.trim();
  return r ? `Editor's pick: ${r}` : "Editor's pick";
}

/** The form's live preview of a rule's public text; null for BURY and BLOCK (subscribers never see them). */
export function reasonPreview(kind: RuleKind, reason: string): string | null {
  return kind === 'BOOST' ? publicReasonText(reason) : null;
}

/** Whether an edited form differs from where it started (unsaved changes). */
export function formChanged<T>(initial: T, current: T): boolean {
  return JSON.stringify(initial) !== JSON.stringify(current);
}

type FieldPatterns<K extends string> = ReadonlyArray<readonly [RegExp, K]>;

const sentence = (m: string) => {
  const t = m.trim();
  const s = t.charAt(0).toUpperCase() + t.slice(1);
  return /[.!?]$/.test(s) ? s : `${s}.`;
};

/**
 * Puts the API's BAD_USER_INPUT messages (which name what is wrong: "reason must be at most 80
 * characters", "position must be between 1 and 100") next to the form field they concern. Best
 * effort: the full error is shown with the form as well, whatever its code.
 */
export function serverFieldErrors<K extends string>(err: unknown, patterns: FieldPatterns<K>): Partial<Record<K, string>> {
  const out: Partial<Record<K, string>> = {};
  if (!(err instanceof ApiError) || err.code !== 'BAD_USER_INPUT') return out;
  const messages = err.errors.length > 0 ? err.errors.map((e) => e.message) : [err.message];
  for (const m of messages) {
    const field = patterns.find(([re]) => re.test(m))?.[1];
    if (field && !out[field]) out[field] = sentence(m);
  }
  return out;
}

const PLACEMENT_ERROR_FIELDS: FieldPatterns<keyof PlacementFormErrors> = [
  [/position/i, 'position'],
  [/\bsurface\b|genre page/i, 'surface'],
  [/schedule|startsAt|endsAt/i, 'endsAt'],
  [/age band|country|audience/i, 'audience'],
  [/movie|collection|target/i, 'target'],
];

const RULE_ERROR_FIELDS: FieldPatterns<keyof RuleFormErrors> = [
  [/\breason\b/i, 'reason'],
  [/\bnote\b/i, 'note'],
  [/multiplier/i, 'multiplier'],
  [/\bsurface\b|genre page/i, 'surface'],
  [/schedule|startsAt|endsAt/i, 'endsAt'],
  [/yearFrom must not be after yearTo|year range must not end/i, 'yearTo'],
  [/year|genre|person|movie|target/i, 'target'],
];

/** A failed createPlacement / updatePlacement as field errors of the pin form. */
export function placementServerErrors(err: unknown): PlacementFormErrors {
  return serverFieldErrors(err, PLACEMENT_ERROR_FIELDS);
}

/** A failed createRule / updateRule as field errors of the rule form. */
export function ruleServerErrors(err: unknown): RuleFormErrors {
  return serverFieldErrors(err, RULE_ERROR_FIELDS);
}
