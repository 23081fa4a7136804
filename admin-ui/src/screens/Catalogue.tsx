import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { ErrorMessage } from '../components/ErrorMessage';
import { TextField } from '../components/Field';
import { Pager } from '../components/Pager';
import { TableWrap } from '../components/TableWrap';
import { formatNumber, formatRating } from '../components/format';
import {
  DeleteMovieDocument,
  GenresDocument,
  MoviesDocument,
  SetMovieAvailabilityDocument,
  type MovieOrderBy,
  type MovieRowFragment,
} from '../gql/graphql';
import { useMutation, useQuery } from '../lib/api';
import { filtersFromQuery, filtersToQuery, ORDER_OPTIONS, toMovieFilter, yearErrors, type CatalogueFilters } from '../lib/catalogueFilters';
import { can } from '../lib/roles';
import { Link, navigate, type Location } from '../lib/router';
import type { Session } from '../lib/session';

export const PAGE_SIZE = 25;

export function Catalogue({ session, location }: { session: Session; location: Location }) {
  const mayEdit = can(session.role, 'catalogue.edit');
  const mayIncludeUnavailable = can(session.role, 'catalogue.includeUnavailable');
  const queryString = location.query.toString();
  const filters = useMemo(() => filtersFromQuery(new URLSearchParams(queryString)), [queryString]);
  const filter = toMovieFilter(filters, mayIncludeUnavailable);
  const filterKey = JSON.stringify([filter, filters.orderBy]);

  // Cursor of each page visited so far; the last one is the current page.
  const [cursors, setCursors] = useState<Array<string | null>>([null]);
  useEffect(() => setCursors([null]), [filterKey]);
  const after = cursors[cursors.length - 1] ?? null;

  const movies = useQuery(MoviesDocument, { first: PAGE_SIZE, after, filter, orderBy: filters.orderBy });
  const genres = useQuery(GenresDocument, {});

  const [draft, setDraft] = useState<CatalogueFilters>(filters);
  useEffect(() => setDraft(filters), [filters]);
  const draftErrors = yearErrors(draft);

  const apply = (f: CatalogueFilters) => navigate(`/catalogue${filtersToQuery(f)}`);
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    if (draftErrors.yearFrom || draftErrors.yearTo) return;
    apply(draft);
  };

  const toggle = useMutation(SetMovieAvailabilityDocument);
  const del = useMutation(DeleteMovieDocument);
  const [status, setStatus] = useState('');
  const [pendingId, setPendingId] = useState<string | null>(null);
  const [toDelete, setToDelete] = useState<MovieRowFragment | null>(null);

  async function toggleAvailability(m: MovieRowFragment) {
    setPendingId(m.id);
    setStatus('');
    const r = await toggle.run({ input: { id: m.id, available: !m.available } });
    setPendingId(null);
    if (!r) return;
    const available = r.setMovieAvailability.movie.available;
    movies.setData((d) =>
      d && {
        movies: { ...d.movies, nodes: d.movies.nodes.map((n) => (n.id === m.id ? { ...n, available } : n)) },
      },
    );
    setStatus(`“${m.title}” is now ${available ? 'available' : 'unavailable'}.`);
  }

  async function confirmDelete() {
    if (!toDelete) return;
    const m = toDelete;
    const r = await del.run({ input: { id: m.id } });
    setToDelete(null);
    if (r?.deleteMovie.deleted) {
      setStatus(`“${m.title}” was deleted.`);
      movies.reload();
    }
  }

  const data = movies.data?.movies;
  return (
    <>
      <div className="title-row">
        <h1 tabIndex={-1}>Catalogue</h1>
        {mayEdit && (
          <Link to="/catalogue/new" className="button">
            Add movie
          </Link>
        )}
      </div>

      <form className="filters" role="search" aria-label="Filter movies" onSubmit={onSubmit}>
        <TextField
          label="Title contains"
          type="search"
          name="search"
          value={draft.search}
          onChange={(e) => setDraft({ ...draft, search: e.target.value })}
        />
        <div className="field">
          <label htmlFor="genre-filter">Genre</label>
          <select
            id="genre-filter"
            value={draft.genre}
            onChange={(e) => apply({ ...draft, genre: e.target.value })}
          >
            <option value="">All genres</option>
            {(genres.data?.genres ?? []).map((g) => (
              <option key={g.genre.id} value={g.genre.name}>
                {g.genre.name}
              </option>
            ))}
            {filters.genre && !genres.data?.genres.some((g) => g.genre.name === filters.genre) && (
              <option value={filters.genre}>{filters.genre}</option>
            )}
          </select>
        </div>
        <TextField
          label="Year from"
          inputMode="numeric"
          name="yearFrom"
          className="narrow"
          value={draft.yearFrom}
          error={draftErrors.yearFrom}
          onChange={(e) => setDraft({ ...draft, yearFrom: e.target.value })}
        />
        <TextField
          label="Year to"
          inputMode="numeric"
          name="yearTo"
          className="narrow"
          value={draft.yearTo}
          error={draftErrors.yearTo}
          onChange={(e) => setDraft({ ...draft, yearTo: e.target.value })}
        />
        <div className="field">
          <label htmlFor="order">Order</label>
          <select id="order" value={draft.orderBy} onChange={(e) => apply({ ...draft, orderBy: e.target.value as MovieOrderBy })}>
            {ORDER_OPTIONS.map((o) => (
              <option key={o.value} value={o.value}>
                {o.label}
              </option>
            ))}
          </select>
        </div>
        {mayIncludeUnavailable && (
          <div className="field checkbox">
            <input
              id="include-unavailable"
              type="checkbox"
              checked={draft.includeUnavailable}
              onChange={(e) => apply({ ...draft, includeUnavailable: e.target.checked })}
            />
            <label htmlFor="include-unavailable">Include unavailable</label>
          </div>
        )}
        <div className="field actions-field">
          <button type="submit">Search</button>
          {queryString && (
            <button type="button" className="secondary" onClick={() => navigate('/catalogue')}>
              Clear filters
            </button>
          )}
        </div>
      </form>

      <p className="status" role="status" aria-live="polite">
        {status}
      </p>
      <ErrorMessage error={toggle.error ?? del.error} />
      <ErrorMessage error={movies.error} onRetry={movies.reload} />

      <TableWrap label="Movies" busy={movies.loading}>
        <table className="data">
          <caption className="visually-hidden">Movies{data ? `, ${data.totalCount} matching` : ''}</caption>
          <thead>
            <tr>
              <th scope="col">Title</th>
              <th scope="col">Year</th>
              <th scope="col">Genres</th>
              <th scope="col" className="num">
                Avg rating
              </th>
              <th scope="col" className="num">
                Ratings
              </th>
              <th scope="col">Availability</th>
              {mayEdit && <th scope="col">Actions</th>}
            </tr>
          </thead>
          <tbody>
            {data?.nodes.map((m) => (
              <tr key={m.id} data-movie-id={m.id}>
                <th scope="row">
                  {mayEdit ? <Link to={`/catalogue/${encodeURIComponent(m.id)}`}>{m.title}</Link> : m.title}
                </th>
                <td>{m.year ?? '—'}</td>
                <td>{m.genres.map((g) => g.name).join(', ') || '—'}</td>
                <td className="num">{formatRating(m.averageRating)}</td>
                <td className="num">{formatNumber(m.ratingCount)}</td>
                <td>
                  <span className={`pill ${m.available ? 'ok' : 'off'}`} data-availability={m.available ? 'available' : 'unavailable'}>
                    {m.available ? 'Available' : 'Unavailable'}
                  </span>
                </td>
                {mayEdit && (
                  <td className="row-actions">
                    <button
                      type="button"
                      className="secondary small"
                      onClick={() => toggleAvailability(m)}
                      disabled={pendingId === m.id}
                      aria-label={`${m.available ? 'Make unavailable' : 'Make available'}: ${m.title}`}
                    >
                      {m.available ? 'Make unavailable' : 'Make available'}
                    </button>
                    <button
                      type="button"
                      className="danger small"
                      onClick={() => setToDelete(m)}
                      aria-label={`Delete: ${m.title}`}
                    >
                      Delete
                    </button>
                  </td>
                )}
              </tr>
            ))}
            {data && data.nodes.length === 0 && (
              <tr>
                <td colSpan={mayEdit ? 7 : 6}>No movies match these filters.</td>
              </tr>
            )}
            {!data && movies.loading && (
              <tr>
                <td colSpan={mayEdit ? 7 : 6}>Loading…</td>
              </tr>
            )}
          </tbody>
        </table>
      </TableWrap>
      {data && (
        <Pager
          label="Catalogue pages"
          page={cursors.length - 1}
          pageSize={PAGE_SIZE}
          shown={data.nodes.length}
          total={data.totalCount}
          hasNext={data.pageInfo.hasNextPage}
          busy={movies.loading}
          onPrevious={() => setCursors((c) => (c.length > 1 ? c.slice(0, -1) : c))}
          onNext={() => data.pageInfo.endCursor && setCursors((c) => [...c, data.pageInfo.endCursor])}
        />
      )}

      <ConfirmDialog
        open={toDelete !== null}
        title="Delete this movie?"
        confirmLabel="Delete movie"
        pending={del.pending}
        onCancel={() => setToDelete(null)}
        onConfirm={confirmDelete}
      >
        <p>
          “{toDelete?.title}” will disappear from every list, search and recommendation. To hide it for a while, make it
          unavailable instead.
        </p>
      </ConfirmDialog>
    </>
  );
}
