// The collection form: validation and CreateCollectionInput / the changes for UpdateCollectionInput.
import type { AudienceInput, CollectionDetailFragment, CreateCollectionInput, UpdateCollectionInput } from '../gql/graphql';
import { audienceFormFrom, EMPTY_AUDIENCE, parseAudience, type AudienceFormValues } from './audience';
import { isoToLocalInput, parseSchedule } from './dates';

export interface CollectionFormValues {
  slug: string;
  title: string;
  description: string;
  artworkUrl: string;
  /** datetime-local values. */
  startsAt: string;
  endsAt: string;
  audience: AudienceFormValues;
}

export type CollectionFormErrors = Partial<Record<Exclude<keyof CollectionFormValues, 'audience'> | 'audience', string>>;

export interface ParsedCollection {
  slug: string;
  title: string;
  description: string | null;
  artworkUrl: string | null;
  startsAt: string | null;
  endsAt: string | null;
  audience: AudienceInput;
}

export const EMPTY_COLLECTION_FORM: CollectionFormValues = {
  slug: '',
  title: '',
  description: '',
  artworkUrl: '',
  startsAt: '',
  endsAt: '',
  audience: EMPTY_AUDIENCE,
};

export function formFromCollection(c: CollectionDetailFragment): CollectionFormValues {
  return {
    slug: c.slug,
    title: c.title,
    description: c.description ?? '',
    artworkUrl: c.artworkUrl ?? '',
    startsAt: isoToLocalInput(c.startsAt),
    endsAt: isoToLocalInput(c.endsAt),
    audience: audienceFormFrom(c.audience),
  };
}

/** "Noir Week: 1940s & more!" → "noir-week-1940s-more". */
export function slugify(title: string): string {
  return title
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64)
    .replace(/-+$/, '');
}

export const SLUG_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

export function validateCollectionForm(v: CollectionFormValues): { errors: CollectionFormErrors; parsed: ParsedCollection | null } {
  const errors: CollectionFormErrors = {};
  const slug = v.slug.trim();
  if (!slug) errors.slug = 'Slug is required.';
  else if (slug.length > 64) errors.slug = 'Slug must be at most 64 characters.';
  else if (!SLUG_PATTERN.test(slug)) errors.slug = 'Use lowercase letters, digits and single hyphens, e.g. noir-week.';

  const title = v.title.trim();
  if (!title) errors.title = 'Title is required.';
  else if ([...title].length > 200) errors.title = 'Title must be at most 200 characters.';

  const description = v.description.trim();
  if ([...description].length > 2000) errors.description = 'Description must be at most 2000 characters.';

  const artworkUrl = v.artworkUrl.trim();
  if (artworkUrl && !isHttpUrl(artworkUrl)) errors.artworkUrl = 'Artwork URL must be an http(s) URL.';

  const schedule = parseSchedule(v);
  Object.assign(errors, schedule.errors);
  const audience = parseAudience(v.audience);
  if (audience.error) errors.audience = audience.error;

  if (Object.keys(errors).length > 0 || !schedule.parsed || !audience.input) return { errors, parsed: null };
  return {
    errors,
    parsed: {
      slug,
      title,
      description: description || null,
      artworkUrl: artworkUrl || null,
      startsAt: schedule.parsed.startsAt,
      endsAt: schedule.parsed.endsAt,
      audience: audience.input,
    },
  };
}

/** A new collection with only the filled fields, and its movies in order. */
export function toCollectionInput(p: ParsedCollection, movieIds: readonly string[] = []): CreateCollectionInput {
  const input: CreateCollectionInput = { slug: p.slug, title: p.title, audience: p.audience };
  if (p.description !== null) input.description = p.description;
  if (p.artworkUrl !== null) input.artworkUrl = p.artworkUrl;
  if (p.startsAt !== null) input.startsAt = p.startsAt;
  if (p.endsAt !== null) input.endsAt = p.endsAt;
  if (movieIds.length > 0) input.movieIds = [...movieIds];
  return input;
}

function sameAudience(a: AudienceInput, b: CollectionDetailFragment['audience']): boolean {
  const eq = (x: readonly string[] | null | undefined, y: readonly string[]) =>
    (x ?? []).length === y.length && (x ?? []).every((v, i) => v === y[i]);
  return (
    Boolean(a.newUsers) === b.newUsers &&
    (a.genreAffinity ?? null) === (b.genreAffinity ?? null) &&
    eq(a.ageBands, b.ageBands) &&
    eq(a.countries, b.countries)
  );
}

function sameInstant(a: string | null, b: string | null | undefined): boolean {
  if (a === null || b == null) return a === (b ?? null);
  const minute = (iso: string) => Math.floor(Date.parse(iso.replace(/(\.\d{3})\d+/, '$1')) / 60_000);
  return minute(a) === minute(b);
}

/** The changes for `updateCollection` (its input without the id). */
export type CollectionPatch = Omit<UpdateCollectionInput, 'id'>;

/** The changed fields only; a cleared optional field is sent as null (the API clears it). */
export function toCollectionPatch(original: CollectionDetailFragment, p: ParsedCollection): { patch: CollectionPatch; changed: boolean } {
  const patch: CollectionPatch = {};
  if (p.slug !== original.slug) patch.slug = p.slug;
  if (p.title !== original.title) patch.title = p.title;
  if (p.description !== (original.description ?? null)) patch.description = p.description;
  if (p.artworkUrl !== (original.artworkUrl ?? null)) patch.artworkUrl = p.artworkUrl;
  // Compare to the minute, not as strings: the form has minutes and the server may add nanoseconds.
  if (!sameInstant(p.startsAt, original.startsAt)) patch.startsAt = p.startsAt;
  if (!sameInstant(p.endsAt, original.endsAt)) patch.endsAt = p.endsAt;
  if (!sameAudience(p.audience, original.audience)) patch.audience = p.audience;
  return { patch, changed: Object.keys(patch).length > 0 };
}

export const STATUS_LABELS = { DRAFT: 'Draft', PUBLISHED: 'Published', ARCHIVED: 'Archived' } as const;
