// The catalogue's filters, kept in the URL query so the back button and links work.
import type { MovieFilterInput, MovieOrderBy } from '../gql/graphql';

export interface CatalogueFilters {
  search: string;
  genre: string;
  yearFrom: string;
  yearTo: string;
  orderBy: MovieOrderBy;
  includeUnavailable: boolean;
}

export const ORDER_OPTIONS: ReadonlyArray<{ value: MovieOrderBy; label: string }> = [
  { value: 'TITLE_ASC', label: 'Title A–Z' },
  { value: 'NEWEST', label: 'Recently added' },
  { value: 'POPULARITY', label: 'Most rated' },
  { value: 'YEAR_DESC', label: 'Year, newest first' },
  { value: 'YEAR_ASC', label: 'Year, oldest first' },
];

export const DEFAULT_FILTERS: CatalogueFilters = {
  search: '',
  genre: '',
  yearFrom: '',
  yearTo: '',
  orderBy: 'TITLE_ASC',
  includeUnavailable: true,
};

export function filtersFromQuery(q: URLSearchParams): CatalogueFilters {
  const order = q.get('order');
  return {
    search: q.get('q') ?? '',
    genre: q.get('genre') ?? '',
    yearFrom: q.get('from') ?? '',
    yearTo: q.get('to') ?? '',
    orderBy: ORDER_OPTIONS.some((o) => o.value === order) ? (order as MovieOrderBy) : DEFAULT_FILTERS.orderBy,
    includeUnavailable: q.get('unavailable') !== 'hide',
  };
}

export function filtersToQuery(f: CatalogueFilters): string {
  const q = new URLSearchParams();
  if (f.search.trim()) q.set('q', f.search.trim());
  if (f.genre) q.set('genre', f.genre);
  if (f.yearFrom.trim()) q.set('from', f.yearFrom.trim());
  if (f.yearTo.trim()) q.set('to', f.yearTo.trim());
  if (f.orderBy !== DEFAULT_FILTERS.orderBy) q.set('order', f.orderBy);
  if (!f.includeUnavailable) q.set('unavailable', 'hide');
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** Validates the year range; returns an error message per bad field. */
export function yearErrors(f: Pick<CatalogueFilters, 'yearFrom' | 'yearTo'>): { yearFrom?: string; yearTo?: string } {
  const e: { yearFrom?: string; yearTo?: string } = {};
  const check = (s: string) => {
    const t = s.trim();
    if (!t) return undefined;
    if (!/^\d{4}$/.test(t)) return 'Enter a four-digit year.';
    return undefined;
  };
  const a = check(f.yearFrom);
  const b = check(f.yearTo);
  if (a) e.yearFrom = a;
  if (b) e.yearTo = b;
  if (!a && !b && f.yearFrom.trim() && f.yearTo.trim() && Number(f.yearFrom) > Number(f.yearTo)) {
    e.yearTo = '“To” year must not be before “from” year.';
  }
  return e;
}

/**
 * The API filter for these UI filters. `mayIncludeUnavailable` is the role's right to see
 * unavailable movies (editors and admins); without it the flag is never sent.
 */
export function toMovieFilter(f: CatalogueFilters, mayIncludeUnavailable: boolean): MovieFilterInput {
  const filter: MovieFilterInput = {};
  if (f.search.trim()) filter.search = f.search.trim();
  if (f.genre) filter.genres = [f.genre];
  const errs = yearErrors(f);
  if (f.yearFrom.trim() && !errs.yearFrom) filter.yearFrom = Number(f.yearFrom);
  if (f.yearTo.trim() && !errs.yearTo) filter.yearTo = Number(f.yearTo);
  if (mayIncludeUnavailable && f.includeUnavailable) filter.includeUnavailable = true;
  return filter;
}
