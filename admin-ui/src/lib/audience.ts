// Audiences of collections and placements: the form, its validation, AudienceInput, and the
// same short description the server gives (`Audience.description`), shown while editing.
// Also the words shown for the API's demographic enums (AgeBand, Gender).
import type { AgeBand, AudienceFieldsFragment, AudienceInput, Gender } from '../gql/graphql';

/** The age bands users can have (the AgeBand enum), youngest first. */
export const AGE_BANDS: readonly AgeBand[] = ['UNDER_18', 'AGE_18_24', 'AGE_25_34', 'AGE_35_44', 'AGE_45_54', 'AGE_55_64', 'AGE_65_PLUS'];

/** What people read for an age band: the names the API's descriptions use ("aged 18-24, 25-34"). */
export const AGE_BAND_LABELS: Readonly<Record<AgeBand, string>> = {
  UNDER_18: 'under-18',
  AGE_18_24: '18-24',
  AGE_25_34: '25-34',
  AGE_35_44: '35-44',
  AGE_45_54: '45-54',
  AGE_55_64: '55-64',
  AGE_65_PLUS: '65+',
};

/** "25-34"; `fallback` ("—" by default) for none; an unknown value as it is. */
export function ageBandLabel(b: AgeBand | string | null | undefined, fallback = '—'): string {
  if (b == null || b === '') return fallback;
  return (AGE_BAND_LABELS as Readonly<Record<string, string>>)[b] ?? b;
}

export const GENDER_LABELS: Readonly<Record<Gender, string>> = { FEMALE: 'Female', MALE: 'Male', OTHER: 'Other' };

/** "Female", "Male", "Other"; `fallback` ("—" by default) for none; an unknown value as it is. */
export function genderLabel(g: Gender | string | null | undefined, fallback = '—'): string {
  if (g == null || g === '') return fallback;
  return (GENDER_LABELS as Readonly<Record<string, string>>)[g] ?? g;
}

export interface AudienceFormValues {
  newUsers: boolean;
  /** Genre name; empty = any. */
  genreAffinity: string;
  /** AgeBand values, in the order they were ticked. */
  ageBands: string[];
  /** Comma-separated ISO 3166-1 alpha-2 codes. */
  countries: string;
}

export const EMPTY_AUDIENCE: AudienceFormValues = { newUsers: false, genreAffinity: '', ageBands: [], countries: '' };

export function audienceFormFrom(a: AudienceFieldsFragment | null | undefined): AudienceFormValues {
  if (!a) return EMPTY_AUDIENCE;
  return {
    newUsers: a.newUsers,
    genreAffinity: a.genreAffinity ?? '',
    ageBands: [...a.ageBands],
    countries: a.countries.join(', '),
  };
}

/** Validates the form; the AudienceInput lists every condition (empty lists = no condition). */
export function parseAudience(v: AudienceFormValues): { error?: string; input: AudienceInput | null } {
  const countries: string[] = [];
  for (const part of v.countries.split(/[,\s]+/)) {
    const c = part.trim().toUpperCase();
    if (!c) continue;
    if (!/^[A-Z]{2}$/.test(c)) return { error: `“${part.trim()}” is not a two-letter country code (e.g. US, FR).`, input: null };
    if (!countries.includes(c)) countries.push(c);
  }
  const unknown = v.ageBands.find((b) => !(AGE_BANDS as readonly string[]).includes(b));
  if (unknown) return { error: `Unknown age band “${ageBandLabel(unknown)}”.`, input: null };
  // Keep the bands in their natural order whatever order they were ticked in.
  const ageBands = AGE_BANDS.filter((b) => v.ageBands.includes(b));
  return {
    input: {
      newUsers: v.newUsers,
      genreAffinity: v.genreAffinity.trim() || null,
      ageBands,
      countries,
    },
  };
}

/**
 * "Everyone", or the conditions joined by " · " in the server's order and words
 * (Audience.description), e.g. "New users · aged 18-24, 25-34 · in FR, DE · who like Drama".
 */
export function describeAudience(a: AudienceInput | null | undefined): string {
  if (!a) return 'Everyone';
  const parts: string[] = [];
  if (a.newUsers) parts.push('New users');
  if (a.ageBands && a.ageBands.length > 0) parts.push(`aged ${a.ageBands.map((b) => ageBandLabel(b)).join(', ')}`);
  if (a.countries && a.countries.length > 0) parts.push(`in ${a.countries.join(', ')}`);
  if (a.genreAffinity) parts.push(`who like ${a.genreAffinity}`);
  if (parts.length === 0) return 'Everyone';
  const out = parts.join(' · ');
  return out.charAt(0).toUpperCase() + out.slice(1);
}

/** Toggles one age band in the form's list. */
export function toggleBand(bands: readonly string[], band: string, on: boolean): string[] {
  const without = bands.filter((b) => b !== band);
  return on ? [...without, band] : without;
}
