// The movie form: raw text fields, their validation (mirroring the API's validators, so
// most mistakes are caught before a round trip), and conversion to CreateMovieInput / the
// changes for UpdateMovieInput.
import type { CreateMovieInput, MovieDetailFragment, UpdateMovieInput } from '../gql/graphql';

/** The changes for `updateMovie` (its input without the id). */
export type MoviePatch = Omit<UpdateMovieInput, 'id'>;

export interface MovieFormValues {
  title: string;
  year: string;
  runtime: string;
  overview: string;
  posterUrl: string;
  language: string;
  country: string;
  /** Comma-separated. */
  genres: string;
  /** Comma-separated. */
  directors: string;
  /** Comma-separated, in billing order. */
  cast: string;
  available: boolean;
}

export type MovieFormErrors = Partial<Record<keyof MovieFormValues, string>>;

/** Parsed, valid values. Optional fields are null when empty. */
export interface ParsedMovie {
  title: string;
  year: number | null;
  runtime: number | null;
  overview: string | null;
  posterUrl: string | null;
  language: string | null;
  country: string | null;
  genres: string[];
  directors: string[];
  cast: string[];
  available: boolean;
}

export const EMPTY_MOVIE_FORM: MovieFormValues = {
  title: '',
  year: '',
  runtime: '',
  overview: '',
  posterUrl: '',
  language: '',
  country: '',
  genres: '',
  directors: '',
  cast: '',
  available: true,
};

export function formFromMovie(m: MovieDetailFragment): MovieFormValues {
  return {
    title: m.title,
    year: m.year?.toString() ?? '',
    runtime: m.runtime?.toString() ?? '',
    overview: m.overview ?? '',
    posterUrl: m.posterUrl ?? '',
    language: m.language ?? '',
    country: m.country ?? '',
    genres: m.genres.map((g) => g.name).join(', '),
    directors: m.directors.map((p) => p.name).join(', '),
    cast: m.cast.map((p) => p.name).join(', '),
    available: m.available,
  };
}

/** Splits a comma-separated list, trimming and dropping blanks and duplicates (order kept). */
export function splitList(s: string): string[] {
  const out: string[] = [];
  for (const part of s.split(',')) {
    const v = part.trim();
    if (v && !out.includes(v)) out.push(v);
  }
  return out;
}

function parseInteger(s: string, min: number, max: number, label: string): { value: number | null; error?: string } {
  const t = s.trim();
  if (!t) return { value: null };
  if (!/^-?\d+$/.test(t)) return { value: null, error: `${label} must be a whole number.` };
  const n = Number(t);
  if (n < min || n > max) return { value: null, error: `${label} must be between ${min} and ${max}.` };
  return { value: n };
}

function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

const LIST_LIMITS = { genres: 20, directors: 20, cast: 50 } as const;

export function validateMovieForm(v: MovieFormValues): { errors: MovieFormErrors; parsed: ParsedMovie | null } {
  const errors: MovieFormErrors = {};
  const title = v.title.trim();
  if (!title) errors.title = 'Title is required.';
  else if ([...title].length > 300) errors.title = 'Title must be at most 300 characters.';

  const year = parseInteger(v.year, 1870, 2100, 'Year');
  if (year.error) errors.year = year.error;
  const runtime = parseInteger(v.runtime, 1, 1000, 'Runtime');
  if (runtime.error) errors.runtime = runtime.error;

  const overview = v.overview.trim();
  if ([...overview].length > 2000) errors.overview = 'Overview must be at most 2000 characters.';

  const posterUrl = v.posterUrl.trim();
  if (posterUrl && !isHttpUrl(posterUrl)) errors.posterUrl = 'Poster URL must be an http(s) URL.';

  const language = v.language.trim().toLowerCase();
  if (language && !/^[a-z]{2}$/.test(language)) errors.language = 'Language must be a two-letter ISO 639-1 code, e.g. en.';

  const country = v.country.trim();
  if ([...country].length > 64) errors.country = 'Country must be at most 64 characters.';

  const lists = { genres: splitList(v.genres), directors: splitList(v.directors), cast: splitList(v.cast) };
  for (const key of ['genres', 'directors', 'cast'] as const) {
    const items = lists[key];
    if (items.length > LIST_LIMITS[key]) errors[key] = `At most ${LIST_LIMITS[key]} names.`;
    else if (items.some((n) => [...n].length > 200)) errors[key] = 'Each name must be at most 200 characters.';
  }

  if (Object.keys(errors).length > 0) return { errors, parsed: null };
  return {
    errors,
    parsed: {
      title,
      year: year.value,
      runtime: runtime.value,
      overview: overview || null,
      posterUrl: posterUrl || null,
      language: language || null,
      country: country || null,
      ...lists,
      available: v.available,
    },
  };
}

export function toMovieInput(p: ParsedMovie): CreateMovieInput {
  const input: CreateMovieInput = { title: p.title, genres: p.genres, directors: p.directors, cast: p.cast, available: p.available };
  if (p.year !== null) input.year = p.year;
  if (p.runtime !== null) input.runtime = p.runtime;
  if (p.overview !== null) input.overview = p.overview;
  if (p.posterUrl !== null) input.posterUrl = p.posterUrl;
  if (p.language !== null) input.language = p.language;
  if (p.country !== null) input.country = p.country;
  return input;
}

const SCALARS = ['year', 'runtime', 'overview', 'posterUrl', 'language', 'country'] as const;

/**
 * The changes between a movie and the edited form. The API treats null as "leave as it is",
 * so a value can't be cleared: such fields come back in `errors`.
 */
export function toMoviePatch(
  original: MovieDetailFragment,
  p: ParsedMovie,
): { patch: MoviePatch; errors: MovieFormErrors; changed: boolean } {
  const patch: MoviePatch = {};
  const errors: MovieFormErrors = {};
  if (p.title !== original.title) patch.title = p.title;
  for (const key of SCALARS) {
    const before = original[key] ?? null;
    const after = p[key];
    if (after === before) continue;
    if (after === null) {
      errors[key] = 'This field cannot be cleared yet; the API keeps the old value.';
      continue;
    }
    // Each key carries its own type; the pair is consistent by construction.
    (patch as Record<string, unknown>)[key] = after;
  }
  const sameList = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);
  if (!sameList(p.genres, original.genres.map((g) => g.name))) patch.genres = p.genres;
  if (!sameList(p.directors, original.directors.map((d) => d.name))) patch.directors = p.directors;
  if (!sameList(p.cast, original.cast.map((c) => c.name))) patch.cast = p.cast;
  return { patch, errors, changed: Object.keys(patch).length > 0 };
}

/** Sign-in form checks, before calling `login`. */
export function validateSignIn(email: string, password: string): { email?: string; password?: string } {
  const e: { email?: string; password?: string } = {};
  const em = email.trim();
  if (!em) e.email = 'Email is required.';
  else if (!/^[^\s@]+@[^\s@]+$/.test(em)) e.email = 'Enter a valid email address.';
  if (!password) e.password = 'Password is required.';
  return e;
}
