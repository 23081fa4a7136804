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

  it('builds a MovieInput with only the filled fields', () => {
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
