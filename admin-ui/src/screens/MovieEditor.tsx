import { useEffect, useState, type FormEvent } from 'react';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { ErrorMessage } from '../components/ErrorMessage';
import { TextAreaField, TextField } from '../components/Field';
import { formatDate, formatNumber, formatRating } from '../components/format';
import {
  CreateMovieDocument,
  DeleteMovieDocument,
  MovieDocument,
  SetMovieAvailabilityDocument,
  UpdateMovieDocument,
  type MovieDetailFragment,
} from '../gql/graphql';
import { useMutation, useQuery } from '../lib/api';
import {
  EMPTY_MOVIE_FORM,
  formFromMovie,
  toMovieInput,
  toMoviePatch,
  validateMovieForm,
  type MovieFormErrors,
  type MovieFormValues,
} from '../lib/movieForm';
import { Link, navigate } from '../lib/router';
import { sameValues, useUnsavedChanges } from '../lib/unsaved';

/** `/catalogue/new` (id null) or `/catalogue/:id`. */
export function MovieEditor({ id }: { id: string | null }) {
  const movie = useQuery(MovieDocument, { id: id ?? '' }, { skip: id === null });
  const original = movie.data?.movie ?? null;

  if (id !== null) {
    if (movie.error) {
      return (
        <>
          <BackLink />
          <h1 tabIndex={-1}>Movie</h1>
          <ErrorMessage error={movie.error} onRetry={movie.reload} />
        </>
      );
    }
    if (!movie.data) return <p aria-busy="true">Loading…</p>;
    if (!original) {
      return (
        <>
          <BackLink />
          <h1 tabIndex={-1}>Movie not found</h1>
          <p>No movie has this id; it may have been deleted.</p>
        </>
      );
    }
  }
  return (
    <MovieForm
      key={original?.id ?? 'new'}
      original={original}
      onSaved={(m) => movie.setData(() => ({ movie: m }))}
    />
  );
}

function BackLink() {
  return (
    <p>
      <Link to="/catalogue">← Back to catalogue</Link>
    </p>
  );
}

function MovieForm({ original, onSaved }: { original: MovieDetailFragment | null; onSaved: (m: MovieDetailFragment) => void }) {
  const [values, setValues] = useState<MovieFormValues>(original ? formFromMovie(original) : EMPTY_MOVIE_FORM);
  /** The values last loaded or saved: the form is dirty when it differs from them. */
  const [saved, setSaved] = useState<MovieFormValues>(values);
  const [errors, setErrors] = useState<MovieFormErrors>({});
  const [status, setStatus] = useState('');
  const [confirmDelete, setConfirmDelete] = useState(false);
  const create = useMutation(CreateMovieDocument);
  const update = useMutation(UpdateMovieDocument);
  const toggle = useMutation(SetMovieAvailabilityDocument);
  const del = useMutation(DeleteMovieDocument);

  useEffect(() => {
    document.title = `${original ? original.title : 'Add movie'} · Marquee admin`;
  }, [original]);
  useUnsavedChanges(!sameValues(values, saved), original ? `Your changes to “${original.title}” are not saved.` : 'The new movie is not added yet.');

  const set = <K extends keyof MovieFormValues>(k: K) =>
    (e: { target: { value: string; checked?: boolean } }) =>
      setValues((v) => ({ ...v, [k]: k === 'available' ? Boolean(e.target.checked) : e.target.value }));

  async function submit(e: FormEvent) {
    e.preventDefault();
    setStatus('');
    const { errors: errs, parsed } = validateMovieForm(values);
    if (!parsed) {
      setErrors(errs);
      focusFirstError();
      return;
    }
    if (!original) {
      setErrors({});
      const r = await create.run({ input: toMovieInput(parsed) });
      if (r) navigate(`/catalogue/${encodeURIComponent(r.createMovie.movie.id)}?created=1`, { replace: true, force: true });
      return;
    }
    const { patch, errors: patchErrs, changed } = toMoviePatch(original, parsed);
    setErrors(patchErrs);
    if (Object.keys(patchErrs).length > 0) {
      focusFirstError();
      return;
    }
    if (!changed) {
      setStatus('Nothing to save: no field changed.');
      return;
    }
    const r = await update.run({ input: { id: original.id, ...patch } });
    if (r) {
      onSaved(r.updateMovie.movie);
      const next = formFromMovie(r.updateMovie.movie);
      setValues(next);
      setSaved(next);
      setStatus('Changes saved.');
    }
  }

  async function toggleAvailability() {
    if (!original) return;
    const r = await toggle.run({ input: { id: original.id, available: !original.available } });
    if (r) {
      const { available } = r.setMovieAvailability.movie;
      onSaved({ ...original, available });
      setStatus(`The movie is now ${available ? 'available' : 'unavailable'}.`);
    }
  }

  async function doDelete() {
    if (!original) return;
    const r = await del.run({ input: { id: original.id } });
    setConfirmDelete(false);
    // The movie is gone: its unsaved edits go with it.
    if (r?.deleteMovie.deleted) navigate('/catalogue', { force: true });
  }

  const created = typeof window !== 'undefined' && new URLSearchParams(window.location.search).has('created');
  const saving = create.pending || update.pending;
  return (
    <>
      <BackLink />
      <div className="title-row">
        <h1 tabIndex={-1}>{original ? `Edit “${original.title}”` : 'Add movie'}</h1>
        {original && (
          <span className={`pill ${original.available ? 'ok' : 'off'}`} data-availability={original.available ? 'available' : 'unavailable'}>
            {original.available ? 'Available' : 'Unavailable'}
          </span>
        )}
      </div>
      <p className="status" role="status" aria-live="polite">
        {status || (created && original ? 'Movie added.' : '')}
      </p>
      <ErrorMessage error={create.error ?? update.error ?? toggle.error ?? del.error} />

      {original && (
        <section className="panel" aria-labelledby="movie-facts">
          <h2 id="movie-facts">Record</h2>
          <dl className="facts inline">
            <dt>Id</dt>
            <dd>
              <code>{original.id}</code>
            </dd>
            <dt>External id</dt>
            <dd>{original.externalId ?? '—'}</dd>
            <dt>IMDb</dt>
            <dd>{original.imdbId ?? '—'}</dd>
            <dt>TMDB</dt>
            <dd>{original.tmdbId ?? '—'}</dd>
            <dt>Added</dt>
            <dd>{formatDate(original.createdAt)}</dd>
            <dt>Ratings</dt>
            <dd>
              {formatNumber(original.ratingCount)} (average {formatRating(original.averageRating)})
            </dd>
          </dl>
          <div className="actions">
            <button type="button" className="secondary" onClick={toggleAvailability} disabled={toggle.pending}>
              {original.available ? 'Make unavailable' : 'Make available'}
            </button>
            <button type="button" className="danger" onClick={() => setConfirmDelete(true)}>
              Delete movie
            </button>
          </div>
        </section>
      )}

      <form className="movie-form" onSubmit={submit} noValidate aria-label={original ? 'Edit movie' : 'New movie'}>
        <TextField label="Title" name="title" value={values.title} onChange={set('title')} error={errors.title} required maxLength={300} />
        <TextField label="Year" name="year" inputMode="numeric" value={values.year} onChange={set('year')} error={errors.year} hint="1870–2100" />
        <TextField
          label="Runtime (minutes)"
          name="runtime"
          inputMode="numeric"
          value={values.runtime}
          onChange={set('runtime')}
          error={errors.runtime}
        />
        <TextField label="Language" name="language" value={values.language} onChange={set('language')} error={errors.language} hint="ISO 639-1, e.g. en" />
        <TextField label="Country" name="country" value={values.country} onChange={set('country')} error={errors.country} />
        <TextField label="Poster URL" name="posterUrl" type="url" value={values.posterUrl} onChange={set('posterUrl')} error={errors.posterUrl} className="field-wide" />
        <TextAreaField label="Overview" name="overview" rows={3} value={values.overview} onChange={set('overview')} error={errors.overview} maxLength={2000} />
        <TextField label="Genres" name="genres" value={values.genres} onChange={set('genres')} error={errors.genres} hint="Comma-separated; new genres are created." className="field-wide" />
        <TextField label="Directors" name="directors" value={values.directors} onChange={set('directors')} error={errors.directors} hint="Comma-separated." className="field-wide" />
        <TextField label="Cast" name="cast" value={values.cast} onChange={set('cast')} error={errors.cast} hint="Comma-separated, in billing order." className="field-wide" />
        {!original && (
          <div className="field checkbox field-wide">
            <input id="available" type="checkbox" checked={values.available} onChange={set('available')} />
            <label htmlFor="available">Available at once</label>
          </div>
        )}
        <div className="actions field-wide">
          <button type="submit" disabled={saving}>
            {saving ? 'Saving…' : original ? 'Save changes' : 'Add movie'}
          </button>
          {/* Cancel means "discard my changes": it does not ask. */}
          <Link to="/catalogue" className="button secondary" force>
            Cancel
          </Link>
        </div>
      </form>

      <ConfirmDialog
        open={confirmDelete}
        title="Delete this movie?"
        confirmLabel="Delete movie"
        pending={del.pending}
        onCancel={() => setConfirmDelete(false)}
        onConfirm={doDelete}
      >
        <p>“{original?.title}” will disappear from every list, search and recommendation.</p>
      </ConfirmDialog>
    </>
  );
}

function focusFirstError() {
  requestAnimationFrame(() => {
    document.querySelector<HTMLElement>('.movie-form [aria-invalid="true"]')?.focus();
  });
}
