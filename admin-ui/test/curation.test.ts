import { describe, expect, it } from 'vitest';
import type { CollectionDetailFragment } from '../src/gql/graphql';
import { ageBandLabel, audienceFormFrom, describeAudience, EMPTY_AUDIENCE, genderLabel, parseAudience, toggleBand } from '../src/lib/audience';
import {
  EMPTY_COLLECTION_FORM,
  formFromCollection,
  slugify,
  toCollectionInput,
  toCollectionPatch,
  validateCollectionForm,
} from '../src/lib/collectionForm';
import {
  describeMultiplier,
  describeRuleTarget,
  EMPTY_RULE_FORM,
  parseSurface,
  surfaceInput,
  surfaceKey,
  surfaceLabel,
  surfaceOptions,
  surfaceValue,
  validatePlacementForm,
  validateRuleForm,
  type PlacementFormValues,
} from '../src/lib/curation';
import { localInputToIso } from '../src/lib/dates';

describe('audience', () => {
  it('describes who sees it, like Audience.description', () => {
    expect(describeAudience(null)).toBe('Everyone');
    expect(describeAudience({ newUsers: false, ageBands: [], countries: [] })).toBe('Everyone');
    expect(describeAudience({ newUsers: true, ageBands: ['AGE_18_24', 'AGE_25_34'] })).toBe('New users · aged 18-24, 25-34');
    expect(describeAudience({ ageBands: ['UNDER_18', 'AGE_65_PLUS'] })).toBe('Aged under-18, 65+');
    expect(describeAudience({ genreAffinity: 'Film-Noir', countries: ['US', 'FR'] })).toBe('In US, FR · who like Film-Noir');
    expect(describeAudience({ genreAffinity: 'Drama' })).toBe('Who like Drama');
    expect(describeAudience({ newUsers: true, ageBands: ['AGE_18_24'], countries: ['FR', 'DE'], genreAffinity: 'Drama' })).toBe(
      'New users · aged 18-24 · in FR, DE · who like Drama',
    );
  });

  it('validates and normalises countries and age bands', () => {
    const r = parseAudience({ newUsers: true, genreAffinity: ' Drama ', ageBands: ['AGE_65_PLUS', 'AGE_18_24'], countries: 'us, fr FR,,gb' });
    expect(r).toEqual({ input: { newUsers: true, genreAffinity: 'Drama', ageBands: ['AGE_18_24', 'AGE_65_PLUS'], countries: ['US', 'FR', 'GB'] } });
    expect(parseAudience({ ...EMPTY_AUDIENCE, countries: 'USA' }).error).toMatch(/“USA” is not a two-letter country code/);
    expect(parseAudience({ ...EMPTY_AUDIENCE, ageBands: ['30-40'] }).error).toBe('Unknown age band “30-40”.');
    // The API's stored names are not its enum values.
    expect(parseAudience({ ...EMPTY_AUDIENCE, ageBands: ['25-34'] }).error).toBe('Unknown age band “25-34”.');
    expect(parseAudience(EMPTY_AUDIENCE).input).toEqual({ newUsers: false, genreAffinity: null, ageBands: [], countries: [] });
  });

  it('round-trips from the API shape and toggles bands', () => {
    const form = audienceFormFrom({ newUsers: false, genreAffinity: null, ageBands: ['AGE_25_34'], countries: ['DE', 'AT'], description: 'x' });
    expect(form).toEqual({ newUsers: false, genreAffinity: '', ageBands: ['AGE_25_34'], countries: 'DE, AT' });
    expect(toggleBand(['AGE_25_34'], 'AGE_18_24', true)).toEqual(['AGE_25_34', 'AGE_18_24']);
    expect(toggleBand(['AGE_25_34', 'AGE_18_24'], 'AGE_25_34', false)).toEqual(['AGE_18_24']);
  });

  it('labels age bands and genders for people', () => {
    expect(ageBandLabel('UNDER_18')).toBe('under-18');
    expect(ageBandLabel('AGE_25_34')).toBe('25-34');
    expect(ageBandLabel('AGE_65_PLUS')).toBe('65+');
    expect(ageBandLabel(null)).toBe('—');
    expect(ageBandLabel(undefined, '')).toBe('');
    expect(genderLabel('FEMALE')).toBe('Female');
    expect(genderLabel('MALE')).toBe('Male');
    expect(genderLabel('OTHER')).toBe('Other');
    expect(genderLabel(null)).toBe('—');
  });
});

const collection: CollectionDetailFragment = {
  id: 'Q29sbGVjdGlvbjox',
  slug: 'noir-week',
  title: 'Noir Week',
  status: 'DRAFT',
  startsAt: '2026-11-01T09:00:00.000000123Z',
  endsAt: null,
  movieCount: 0,
  live: false,
  updatedAt: '2026-11-01T00:00:00Z',
  audience: { newUsers: false, genreAffinity: null, ageBands: [], countries: [], description: 'Everyone' },
  description: 'Shadows.',
  artworkUrl: null,
  createdAt: '2026-11-01T00:00:00Z',
  movies: [],
};

describe('collection form', () => {
  it('makes slugs from titles', () => {
    expect(slugify('Noir Week: 1940s & more!')).toBe('noir-week-1940s-more');
    expect(slugify('  Été  à Paris ')).toBe('ete-a-paris');
    expect(slugify('!!!')).toBe('');
  });

  it('validates slug, title, URL, schedule and audience', () => {
    const { errors, parsed } = validateCollectionForm({
      ...EMPTY_COLLECTION_FORM,
      slug: 'Noir Week',
      artworkUrl: 'ftp://x',
      startsAt: '2026-11-02T10:00',
      endsAt: '2026-11-01T10:00',
      audience: { ...EMPTY_AUDIENCE, countries: 'France' },
    });
    expect(parsed).toBeNull();
    expect(errors).toEqual({
      slug: 'Use lowercase letters, digits and single hyphens, e.g. noir-week.',
      title: 'Title is required.',
      artworkUrl: 'Artwork URL must be an http(s) URL.',
      endsAt: 'The end must be after the start.',
      audience: '“France” is not a two-letter country code (e.g. US, FR).',
    });
  });

  it('builds a CreateCollectionInput with the movies in order and only filled fields', () => {
    const { parsed } = validateCollectionForm({ ...EMPTY_COLLECTION_FORM, slug: 'noir-week', title: ' Noir Week ', startsAt: '2026-11-02T10:00' });
    expect(toCollectionInput(parsed!, ['m3', 'm1', 'm2'])).toEqual({
      slug: 'noir-week',
      title: 'Noir Week',
      startsAt: localInputToIso('2026-11-02T10:00'),
      audience: { newUsers: false, genreAffinity: null, ageBands: [], countries: [] },
      movieIds: ['m3', 'm1', 'm2'],
    });
  });

  it('patches only what changed, clearing with null, and ignores sub-minute differences', () => {
    const same = validateCollectionForm(formFromCollection(collection)).parsed!;
    expect(toCollectionPatch(collection, same)).toEqual({ patch: {}, changed: false });

    const edited = validateCollectionForm({
      ...formFromCollection(collection),
      title: 'Noir Weekend',
      description: '',
      startsAt: '',
      audience: { ...EMPTY_AUDIENCE, newUsers: true },
    }).parsed!;
    expect(toCollectionPatch(collection, edited)).toEqual({
      patch: {
        title: 'Noir Weekend',
        description: null,
        startsAt: null,
        audience: { newUsers: true, genreAffinity: null, ageBands: [], countries: [] },
      },
      changed: true,
    });
  });
});

describe('surfaces', () => {
  it('parses, builds and labels surfaces', () => {
    expect(parseSurface('HOME')).toEqual({ kind: 'HOME', genre: '' });
    expect(parseSurface('GENRE:Sci-Fi')).toEqual({ kind: 'GENRE', genre: 'Sci-Fi' });
    expect(parseSurface('GENRE:')).toBeNull();
    expect(parseSurface('home')).toBeNull();
    expect(surfaceValue('GENRE', ' Drama ')).toBe('GENRE:Drama');
    expect(surfaceValue('RECOMMENDATIONS', 'ignored')).toBe('RECOMMENDATIONS');
    expect(surfaceLabel('GENRE:Drama')).toBe('Genre page: Drama');
    expect(surfaceLabel({ kind: 'GENRE', genre: 'Drama' })).toBe('Genre page: Drama');
    expect(surfaceLabel({ kind: 'RECOMMENDATIONS', genre: null })).toBe('Recommendations');
    expect(surfaceLabel(null)).toBe('All surfaces');
    expect(surfaceOptions(['Western', 'Comedy']).map((o) => o.value)).toEqual(['HOME', 'RECOMMENDATIONS', 'GENRE:Comedy', 'GENRE:Western']);
  });

  it('converts keys to SurfaceInput and the API’s Surface to keys', () => {
    expect(surfaceInput('HOME')).toEqual({ kind: 'HOME' });
    expect(surfaceInput('RECOMMENDATIONS')).toEqual({ kind: 'RECOMMENDATIONS' });
    expect(surfaceInput('GENRE:Sci-Fi')).toEqual({ kind: 'GENRE', genre: 'Sci-Fi' });
    expect(surfaceInput('GENRE:')).toBeNull();
    expect(surfaceInput('SIDEBAR')).toBeNull();
    expect(surfaceInput(null)).toBeNull();
    expect(surfaceKey({ kind: 'HOME', genre: null })).toBe('HOME');
    expect(surfaceKey({ kind: 'GENRE', genre: 'Sci-Fi' })).toBe('GENRE:Sci-Fi');
    expect(surfaceKey(null)).toBeNull();
    for (const key of ['HOME', 'RECOMMENDATIONS', 'GENRE:Film-Noir']) expect(surfaceKey(surfaceInput(key))).toBe(key);
  });
});

const pin: PlacementFormValues = {
  surface: 'HOME',
  position: '1',
  targetKind: 'collection',
  movieId: '',
  collectionId: 'c1',
  startsAt: '',
  endsAt: '',
  audience: EMPTY_AUDIENCE,
};

describe('placement form', () => {
  it('builds a CreatePlacementInput with exactly one target', () => {
    expect(validatePlacementForm({ ...pin, movieId: 'm-ignored' }).input).toEqual({
      surface: { kind: 'HOME' },
      position: 1,
      target: { collectionId: 'c1' },
      audience: { newUsers: false, genreAffinity: null, ageBands: [], countries: [] },
    });
    const movie = validatePlacementForm({ ...pin, targetKind: 'movie', movieId: 'm1', surface: 'GENRE:Drama', position: '3' }).input!;
    expect(movie.target).toEqual({ movieId: 'm1' });
    expect(movie.target).not.toHaveProperty('collectionId');
    expect(movie.surface).toEqual({ kind: 'GENRE', genre: 'Drama' });
  });

  it('requires a surface, a position of at least 1 and a target', () => {
    expect(validatePlacementForm({ ...pin, surface: 'SIDEBAR', position: '0', collectionId: '' }).errors).toEqual({
      surface: 'Choose a surface.',
      position: 'Position must be 1 or more.',
      target: 'Choose a collection.',
    });
    expect(validatePlacementForm({ ...pin, position: '1.5' }).errors.position).toBe('Position must be a whole number.');
  });
});

describe('rule form', () => {
  it('builds a boost on a genre, with the default multiplier left to the server', () => {
    expect(validateRuleForm({ ...EMPTY_RULE_FORM, targetKind: 'genre', genre: 'Film-Noir', note: ' Noir week ' }).input).toEqual({
      kind: 'BOOST',
      target: { genre: 'Film-Noir' },
      note: 'Noir week',
    });
  });

  it('checks the multiplier against the kind and ignores it for BLOCK', () => {
    expect(validateRuleForm({ ...EMPTY_RULE_FORM, movieId: 'm', multiplier: '0.8' }).errors.multiplier).toMatch(/more than 1/);
    expect(validateRuleForm({ ...EMPTY_RULE_FORM, kind: 'BURY', movieId: 'm', multiplier: '2' }).errors.multiplier).toMatch(/less than 1/);
    expect(validateRuleForm({ ...EMPTY_RULE_FORM, kind: 'BURY', movieId: 'm', multiplier: '0.25' }).input).toEqual({ kind: 'BURY', target: { movieId: 'm' }, multiplier: 0.25 });
    expect(validateRuleForm({ ...EMPTY_RULE_FORM, kind: 'BLOCK', movieId: 'm', multiplier: '7' }).input).toEqual({ kind: 'BLOCK', target: { movieId: 'm' } });
  });

  it('takes a year range (one end is enough) on one surface', () => {
    expect(validateRuleForm({ ...EMPTY_RULE_FORM, kind: 'BURY', targetKind: 'years', yearTo: '1979', surface: 'HOME' }).input).toEqual({
      kind: 'BURY',
      target: { years: { to: 1979 } },
      surface: { kind: 'HOME' },
    });
    expect(validateRuleForm({ ...EMPTY_RULE_FORM, targetKind: 'years', yearFrom: '1940', yearTo: '1959', surface: 'GENRE:Film-Noir' }).input).toEqual({
      kind: 'BOOST',
      target: { years: { from: 1940, to: 1959 } },
      surface: { kind: 'GENRE', genre: 'Film-Noir' },
    });
    expect(validateRuleForm({ ...EMPTY_RULE_FORM, targetKind: 'years' }).errors.target).toBeDefined();
    expect(validateRuleForm({ ...EMPTY_RULE_FORM, targetKind: 'years', yearFrom: '2000', yearTo: '1990' }).errors.yearTo).toBeDefined();
    expect(validateRuleForm({ ...EMPTY_RULE_FORM, targetKind: 'person' }).errors).toEqual({ target: 'Enter a person id.' });
  });

  it('describes rules for the table', () => {
    expect(describeRuleTarget({ movie: { title: 'Heat', year: 1995 } })).toBe('Movie: Heat (1995)');
    expect(describeRuleTarget({ person: { name: 'Agnès Varda' } })).toBe('Person: Agnès Varda');
    expect(describeRuleTarget({ yearFrom: 1940, yearTo: 1959 })).toBe('Released 1940–1959');
    expect(describeRuleTarget({ yearTo: 1979 })).toBe('Released in or before 1979');
    expect(describeMultiplier('BOOST', 1.5)).toBe('×1.5');
    expect(describeMultiplier('BLOCK', 0)).toBe('Hidden');
  });
});
