import { describe, expect, it } from 'vitest';
import type { MovieDetailFragment } from '../src/gql/graphql';
import {
  DEFAULT_FILTERS,
  filtersFromQuery,
  filtersToQuery,
  toMovieFilter,
  yearErrors,
} from '../src/lib/catalogueFilters';
import {
  addBlendWeight,
  EMPTY_EXPERIMENT_FORM,
  emptyVariant,
  errorSummary,
  hasErrors,
  removeBlendWeight,
  validateExperimentForm,
  type ExperimentFormValues,
  type VariantFormValues,
} from '../src/lib/experimentForm';
import { sameValues } from '../src/lib/equal';
import {
  EMPTY_MOVIE_FORM,
  formFromMovie,
  splitList,
  toMovieInput,
  toMoviePatch,
  validateMovieForm,
  validateSignIn,
} from '../src/lib/movieForm';

const movie: MovieDetailFragment = {
  id: 'TW92aWU6MQ',
  title: 'Blade Runner 2049',
  year: 2017,
  available: true,
  averageRating: 4.2,
  ratingCount: 311,
  genres: [
    { id: 'g1', name: 'Drama' },
    { id: 'g2', name: 'Sci-Fi' },
  ],
  overview: 'A replicant…',
  runtime: 164,
  country: 'US',
  language: 'en',
  posterUrl: null,
  imdbId: null,
  tmdbId: null,
  externalId: 'demo:1',
  createdAt: '2026-11-22T11:00:00Z',
  directors: [{ id: 'p1', name: 'Denis Villeneuve' }],
  cast: [
    { id: 'p2', name: 'Ryan Gosling' },
    { id: 'p3', name: 'Harrison Ford' },
  ],
};

describe('movie form validation', () => {
  it('requires a title', () => {
    expect(validateMovieForm(EMPTY_MOVIE_FORM).errors.title).toBe('Title is required.');
    expect(validateMovieForm({ ...EMPTY_MOVIE_FORM, title: '   ' }).errors.title).toBe('Title is required.');
    expect(validateMovieForm({ ...EMPTY_MOVIE_FORM, title: 'x'.repeat(301) }).errors.title).toMatch(/300/);
  });

  it('checks numbers, URL, language and list sizes like the API', () => {
    const { errors, parsed } = validateMovieForm({
      ...EMPTY_MOVIE_FORM,
      title: 'T',
      year: '1800',
      runtime: '12.5',
      posterUrl: 'javascript:alert(1)',
      language: 'english',
      genres: Array.from({ length: 21 }, (_, i) => `g${i}`).join(','),
      cast: 'a,' + 'b'.repeat(201),
    });
    expect(parsed).toBeNull();
    expect(errors).toEqual({
      year: 'Year must be between 1870 and 2100.',
      runtime: 'Runtime must be a whole number.',
      posterUrl: 'Poster URL must be an http(s) URL.',
      language: 'Language must be a two-letter ISO 639-1 code, e.g. en.',
      genres: 'At most 20 names.',
      cast: 'Each name must be at most 200 characters.',
    });
  });

  it('builds a CreateMovieInput with only the filled fields', () => {
    const { parsed } = validateMovieForm({
      ...EMPTY_MOVIE_FORM,
      title: '  Arrival ',
      year: '2016',
      language: 'EN',
      genres: 'Drama, Sci-Fi, Drama, ',
      available: false,
    });
    expect(toMovieInput(parsed!)).toEqual({
      title: 'Arrival',
      year: 2016,
      language: 'en',
      genres: ['Drama', 'Sci-Fi'],
      directors: [],
      cast: [],
      available: false,
    });
  });

  it('splits comma lists, trimming and de-duplicating', () => {
    expect(splitList(' a, b ,,a, c ')).toEqual(['a', 'b', 'c']);
    expect(splitList('')).toEqual([]);
  });
});

describe('movie patch', () => {
  it('is empty when nothing changed', () => {
    const { parsed } = validateMovieForm(formFromMovie(movie));
    expect(toMoviePatch(movie, parsed!)).toEqual({ patch: {}, errors: {}, changed: false });
  });

  it('sends only the changed fields, lists whole', () => {
    const form = { ...formFromMovie(movie), title: 'Blade Runner', runtime: '163', cast: 'Harrison Ford, Ryan Gosling' };
    const { parsed } = validateMovieForm(form);
    expect(toMoviePatch(movie, parsed!)).toEqual({
      patch: { title: 'Blade Runner', runtime: 163, cast: ['Harrison Ford', 'Ryan Gosling'] },
      errors: {},
      changed: true,
    });
  });

  it('refuses to "clear" a field the API cannot clear', () => {
    const { parsed } = validateMovieForm({ ...formFromMovie(movie), country: '', year: '' });
    const r = toMoviePatch(movie, parsed!);
    expect(Object.keys(r.errors).sort()).toEqual(['country', 'year']);
    expect(r.patch).toEqual({});
  });
});

describe('sign-in validation', () => {
  it('requires an email address and a password', () => {
    expect(validateSignIn('', '')).toEqual({ email: 'Email is required.', password: 'Password is required.' });
    expect(validateSignIn('not-an-email', 'x')).toEqual({ email: 'Enter a valid email address.' });
    expect(validateSignIn(' admin@marquee.local ', 'pw')).toEqual({});
  });
});

describe('catalogue filters', () => {
  it('round-trips through the URL', () => {
    const f = { search: 'blade', genre: 'Sci-Fi', yearFrom: '1980', yearTo: '2020', orderBy: 'YEAR_DESC' as const, includeUnavailable: false };
    const q = filtersToQuery(f);
    expect(q).toBe('?q=blade&genre=Sci-Fi&from=1980&to=2020&order=YEAR_DESC&unavailable=hide');
    expect(filtersFromQuery(new URLSearchParams(q.slice(1)))).toEqual(f);
    expect(filtersToQuery(DEFAULT_FILTERS)).toBe('');
    expect(filtersFromQuery(new URLSearchParams('order=DROP_TABLE')).orderBy).toBe('TITLE_ASC');
  });

  it('sends includeUnavailable only for roles that may use it', () => {
    const f = { ...DEFAULT_FILTERS, search: ' x ', genre: 'Drama', yearFrom: '1990' };
    expect(toMovieFilter(f, true)).toEqual({ search: 'x', genres: ['Drama'], yearFrom: 1990, includeUnavailable: true });
    expect(toMovieFilter(f, false)).toEqual({ search: 'x', genres: ['Drama'], yearFrom: 1990 });
    expect(toMovieFilter({ ...f, includeUnavailable: false }, true)).not.toHaveProperty('includeUnavailable');
  });

  it('validates the year range', () => {
    expect(yearErrors({ yearFrom: '19', yearTo: '' })).toEqual({ yearFrom: 'Enter a four-digit year.' });
    expect(yearErrors({ yearFrom: '2000', yearTo: '1990' })).toHaveProperty('yearTo');
    expect(yearErrors({ yearFrom: '1990', yearTo: '2000' })).toEqual({});
    expect(toMovieFilter({ ...DEFAULT_FILTERS, yearFrom: 'abc' }, false)).toEqual({});
  });
});

describe('experiment variants: candidate pool and blend weights', () => {
  const NOW = Date.parse('2026-11-22T12:00:00Z');
  const variant = (name: string, patch: Partial<VariantFormValues> = {}): VariantFormValues => ({ ...emptyVariant(name, '0.5'), ...patch });
  const form = (treatment: Partial<VariantFormValues>): ExperimentFormValues => ({
    ...EMPTY_EXPERIMENT_FORM,
    name: 'More popularity',
    variants: [variant('control'), variant('treatment', treatment)],
  });
  const run = (treatment: Partial<VariantFormValues>) => validateExperimentForm(form(treatment), NOW);

  it('leaves both out of the input when they are empty (the server’s pool, the blend as learned)', () => {
    const { errors, input } = run({ candidatePool: '  ', blendWeights: [] });
    expect(hasErrors(errors)).toBe(false);
    expect(input?.variants[1]).toEqual({ name: 'treatment', share: 0.5, curation: true });
    expect(input?.variants[1]).not.toHaveProperty('candidatePool');
    expect(input?.variants[1]).not.toHaveProperty('blendWeights');
  });

  it('sends a candidate pool and blend weights, trimmed, in the rows’ order', () => {
    const { input } = run({
      candidatePool: ' 200 ',
      blendWeights: [
        { component: ' popularity ', factor: '2' },
        { component: 'als', factor: '0' },
        { component: 'knn_rank', factor: '0,5' },
      ],
    });
    expect(input?.variants[1]).toEqual({
      name: 'treatment',
      share: 0.5,
      curation: true,
      candidatePool: 200,
      blendWeights: [
        { component: 'popularity', factor: 2 },
        { component: 'als', factor: 0 },
        { component: 'knn_rank', factor: 0.5 },
      ],
    });
    // The control keeps the defaults.
    expect(input?.variants[0]).toEqual({ name: 'control', share: 0.5, curation: true });
  });

  it('checks the candidate pool: a whole number from 20 to 5000', () => {
    for (const bad of ['19', '5001', '0', '-200', '200.5', 'lots', '1e3']) {
      expect(run({ candidatePool: bad }).errors.variantFields[1]?.candidatePool, bad).toBe(
        'Candidate pool must be a whole number from 20 to 5000; leave it empty for the server’s default (800).',
      );
      expect(run({ candidatePool: bad }).input).toBeNull();
    }
    expect(run({ candidatePool: '20' }).input?.variants[1]?.candidatePool).toBe(20);
    expect(run({ candidatePool: '5000' }).input?.variants[1]?.candidatePool).toBe(5000);
  });

  it('checks each blend weight: a component, named once, with a factor from 0 to 10', () => {
    const { errors, input } = run({
      blendWeights: [
        { component: 'popularity', factor: '2' },
        { component: ' popularity', factor: '10.5' },
        { component: '  ', factor: '1' },
        { component: 'als', factor: '' },
        { component: 'ease', factor: '-1' },
        { component: 'content', factor: 'x2' },
      ],
    });
    expect(input).toBeNull();
    expect(errors.blendFields[0]).toEqual([]);
    expect(errors.blendFields[1]).toEqual([
      {},
      {
        component: '“popularity” is already weighted: each component once.',
        factor: 'Factor must be a number from 0 to 10.',
      },
      { component: 'Component is required (or remove the row).' },
      { factor: expect.stringMatching(/from 0 to 10/) },
      { factor: expect.stringMatching(/from 0 to 10/) },
      { factor: expect.stringMatching(/from 0 to 10/) },
    ]);
    // The bounds themselves are fine; an unknown name is the server’s to refuse (it lists the blend’s).
    const ok = run({
      blendWeights: [
        { component: 'ease', factor: '0' },
        { component: 'als', factor: '10' },
        { component: 'my_model', factor: '1' },
      ],
    });
    expect(hasErrors(ok.errors)).toBe(false);
    expect(ok.input?.variants[1]?.blendWeights).toEqual([
      { component: 'ease', factor: 0 },
      { component: 'als', factor: 10 },
      { component: 'my_model', factor: 1 },
    ]);
  });

  it('summarises pool and blend problems after the variant’s own, naming variant and row', () => {
    const { errors } = run({ candidatePool: '10', blendWeights: [{ component: '', factor: '1' }] });
    expect(errorSummary(errors)).toEqual([
      'Variant 2: Candidate pool must be a whole number from 20 to 5000; leave it empty for the server’s default (800).',
      'Variant 2, blend weight 1: Component is required (or remove the row).',
    ]);
  });

  it('adds empty rows and removes one by index; the untouched form stays clean for the unsaved-changes guard', () => {
    const rows = addBlendWeight(addBlendWeight([]));
    expect(rows).toEqual([
      { component: '', factor: '' },
      { component: '', factor: '' },
    ]);
    const named = [
      { component: 'ease', factor: '1' },
      { component: 'als', factor: '2' },
      { component: 'content', factor: '0' },
    ];
    expect(removeBlendWeight(named, 1)).toEqual([named[0], named[2]]);
    expect(named).toHaveLength(3);
    // A fresh variant has no pool and no rows; adding one and removing it again is not a change.
    expect(emptyVariant('x')).toMatchObject({ candidatePool: '', blendWeights: [] });
    const touched = { ...EMPTY_EXPERIMENT_FORM, variants: EMPTY_EXPERIMENT_FORM.variants.map((v) => ({ ...v, blendWeights: removeBlendWeight(addBlendWeight(v.blendWeights), 0) })) };
    expect(sameValues(touched, EMPTY_EXPERIMENT_FORM)).toBe(true);
    const withPool = { ...EMPTY_EXPERIMENT_FORM, variants: [EMPTY_EXPERIMENT_FORM.variants[0]!, { ...EMPTY_EXPERIMENT_FORM.variants[1]!, candidatePool: '200' }] };
    expect(sameValues(withPool, EMPTY_EXPERIMENT_FORM)).toBe(false);
    const withRow = { ...EMPTY_EXPERIMENT_FORM, variants: [EMPTY_EXPERIMENT_FORM.variants[0]!, { ...EMPTY_EXPERIMENT_FORM.variants[1]!, blendWeights: addBlendWeight([]) }] };
    expect(sameValues(withRow, EMPTY_EXPERIMENT_FORM)).toBe(false);
  });
});
