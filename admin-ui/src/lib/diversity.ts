// Diversity settings per surface: the form, its validation, and the input for setDiversitySettings.
import type { DiversityFieldsFragment, SetDiversitySettingsInput } from '../gql/graphql';
import { surfaceInput, surfaceKey } from './curation';
import { sameValues } from './equal';

export interface DiversityFormValues {
  /** The surface's key: "HOME", "RECOMMENDATIONS" or "GENRE:<name>" (see lib/curation). */
  surface: string;
  /** Empty: no limit. */
  maxPerGenre: string;
  mmrLambda: number;
  calibration: number;
  /** Empty: no minimum. */
  minGenres: string;
  noveltyWeight: number;
}

/** What the form shows for a surface without settings: no re-ranking at all. */
export function defaultDiversityForm(surface: string): DiversityFormValues {
  return { surface, maxPerGenre: '', mmrLambda: 1, calibration: 0, minGenres: '', noveltyWeight: 0 };
}

export function formFromSettings(s: DiversityFieldsFragment): DiversityFormValues {
  return {
    surface: surfaceKey(s.surface),
    maxPerGenre: s.maxPerGenre?.toString() ?? '',
    mmrLambda: s.mmrLambda,
    calibration: s.calibration,
    minGenres: s.minGenres?.toString() ?? '',
    noveltyWeight: s.noveltyWeight,
  };
}

/** The top-N the limits apply to (DiversitySettings.maxPerGenre: "in the top N (N = 10)"). */
export const TOP_N = 10;

export type DiversityFormErrors = Partial<Record<'surface' | 'maxPerGenre' | 'minGenres' | 'mmrLambda' | 'calibration' | 'noveltyWeight', string>>;

function optionalCount(s: string, label: string): { value: number | null; error?: string } {
  const t = s.trim();
  if (!t) return { value: null };
  if (!/^\d+$/.test(t)) return { value: null, error: `${label} must be a whole number.` };
  const n = Number(t);
  if (n < 1 || n > TOP_N) return { value: null, error: `${label} must be between 1 and ${TOP_N}.` };
  return { value: n };
}

function unit(n: number, label: string): string | undefined {
  return Number.isFinite(n) && n >= 0 && n <= 1 ? undefined : `${label} must be between 0 and 1.`;
}

/**
 * Validates the form. Every field is sent: empty limits as null ("no limit"), so saving
 * a form always sets the whole surface's settings to what the form shows.
 */
export function validateDiversityForm(v: DiversityFormValues): { errors: DiversityFormErrors; input: SetDiversitySettingsInput | null } {
  const errors: DiversityFormErrors = {};
  const surface = surfaceInput(v.surface);
  if (!surface) errors.surface = 'Unknown surface.';
  const max = optionalCount(v.maxPerGenre, 'Max per genre');
  if (max.error) errors.maxPerGenre = max.error;
  const min = optionalCount(v.minGenres, 'Min genres');
  if (min.error) errors.minGenres = min.error;
  const l = unit(v.mmrLambda, 'MMR λ');
  if (l) errors.mmrLambda = l;
  const c = unit(v.calibration, 'Calibration');
  if (c) errors.calibration = c;
  const nw = unit(v.noveltyWeight, 'Novelty weight');
  if (nw) errors.noveltyWeight = nw;
  if (Object.keys(errors).length > 0 || !surface) return { errors, input: null };
  return {
    errors,
    input: {
      surface,
      maxPerGenre: max.value,
      mmrLambda: round(v.mmrLambda),
      calibration: round(v.calibration),
      minGenres: min.value,
      noveltyWeight: round(v.noveltyWeight),
    },
  };
}

const round = (n: number) => Math.round(n * 1000) / 1000;

/** Genres of the first `n` items with how many items carry each, most frequent first. */
export function genreMix(items: ReadonlyArray<{ movie: { genres: ReadonlyArray<{ name: string }> } }>, n: number = TOP_N): Array<{ genre: string; count: number }> {
  const counts = new Map<string, number>();
  for (const it of items.slice(0, n)) for (const g of it.movie.genres) counts.set(g.name, (counts.get(g.name) ?? 0) + 1);
  return [...counts.entries()].map(([genre, count]) => ({ genre, count })).sort((a, b) => b.count - a.count || a.genre.localeCompare(b.genre));
}

/**
 * Whether the form would change the saved settings: what it would send differs from what
 * `saved` sends (so 0.12345, saved as 0.123, is not a change), or it differs at all while
 * invalid.
 */
export function diversityFormChanged(v: DiversityFormValues, saved: DiversityFormValues): boolean {
  const next = validateDiversityForm(v).input;
  const base = validateDiversityForm(saved).input;
  return next && base ? !sameValues(next, base) : !sameValues(v, saved);
}
