import { useEffect, useRef, useState, type DragEvent, type FormEvent } from 'react';
import { ErrorMessage } from '../components/ErrorMessage';
import { TextAreaField, TextField } from '../components/Field';
import { AudienceFieldset, LivePill, MoviePicker, ScheduleFields } from '../components/curation';
import { formatDate } from '../components/format';
import {
  ArchiveCollectionDocument,
  CollectionDocument,
  CreateCollectionDocument,
  GenresDocument,
  PublishCollectionDocument,
  SetCollectionMoviesDocument,
  UpdateCollectionDocument,
  type CollectionDetailFragment,
  type CollectionMovieFragment,
} from '../gql/graphql';
import { useMutation, useQuery } from '../lib/api';
import {
  EMPTY_COLLECTION_FORM,
  formFromCollection,
  slugify,
  toCollectionInput,
  toCollectionPatch,
  validateCollectionForm,
  type CollectionFormErrors,
  type CollectionFormValues,
} from '../lib/collectionForm';
import { describeSchedule } from '../lib/dates';
import { appendUnique, dropIndex, moveItem, sameOrder } from '../lib/reorder';
import { Link, navigate } from '../lib/router';
import { sameValues, useUnsavedChanges } from '../lib/unsaved';
import { StatusPill } from './Collections';

/** `/collections/new` (slug null) or `/collections/:slug`. */
export function CollectionEditor({ slug }: { slug: string | null }) {
  const q = useQuery(CollectionDocument, { slug: slug ?? '' }, { skip: slug === null });
  const genres = useQuery(GenresDocument, {});
  const genreNames = (genres.data?.genres ?? []).map((g) => g.genre.name).sort((a, b) => a.localeCompare(b));
  const original = q.data?.collection ?? null;

  if (slug !== null) {
    if (q.error) {
      return (
        <>
          <Back />
          <h1 tabIndex={-1}>Collection</h1>
          <ErrorMessage error={q.error} onRetry={q.reload} />
        </>
      );
    }
    if (!q.data) return <p aria-busy="true">Loading…</p>;
    if (!original) {
      return (
        <>
          <Back />
          <h1 tabIndex={-1}>Collection not found</h1>
          <p>No collection has the slug “{slug}”.</p>
        </>
      );
    }
  }
  return (
    <CollectionForm
      key={original?.id ?? 'new'}
      original={original}
      genres={genreNames}
      onChanged={(c) => q.setData(() => ({ collection: c }))}
    />
  );
}

function Back() {
  return (
    <p>
      <Link to="/collections">← Back to collections</Link>
    </p>
  );
}

function CollectionForm({
  original,
  genres,
  onChanged,
}: {
  original: CollectionDetailFragment | null;
  genres: readonly string[];
  onChanged: (c: CollectionDetailFragment) => void;
}) {
  const [values, setValues] = useState<CollectionFormValues>(original ? formFromCollection(original) : EMPTY_COLLECTION_FORM);
  /** The details last loaded or saved: they are dirty when the form differs from them. */
  const [savedValues, setSavedValues] = useState<CollectionFormValues>(values);
  const [slugTouched, setSlugTouched] = useState(original !== null);
  const [errors, setErrors] = useState<CollectionFormErrors>({});
  const [status, setStatus] = useState('');
  const [movies, setMovies] = useState<CollectionMovieFragment[]>(original?.movies ?? []);
  const [moviesStatus, setMoviesStatus] = useState('');
  const create = useMutation(CreateCollectionDocument);
  const update = useMutation(UpdateCollectionDocument);
  const saveMovies = useMutation(SetCollectionMoviesDocument);
  const publish = useMutation(PublishCollectionDocument);
  const archive = useMutation(ArchiveCollectionDocument);

  useEffect(() => {
    document.title = `${original ? original.title : 'New collection'} · Marquee admin`;
  }, [original]);

  const moviesDirty = original ? !sameOrder(movies, original.movies, (m) => m.id) : false;
  const detailsDirty = !sameValues(values, savedValues);
  // A new collection is saved in one go; an existing one saves its details and its movies apart.
  useUnsavedChanges(
    original ? detailsDirty : detailsDirty || movies.length > 0,
    original ? 'Your changes to the collection’s details are not saved (Save details).' : 'The new collection is not created yet.',
  );
  useUnsavedChanges(moviesDirty, 'Your changes to the collection’s movies are not saved (Save movies).');

  async function submit(e: FormEvent) {
    e.preventDefault();
    setStatus('');
    const { errors: errs, parsed } = validateCollectionForm(values);
    setErrors(errs);
    if (!parsed) {
      requestAnimationFrame(() => document.querySelector<HTMLElement>('.collection-form [aria-invalid="true"]')?.focus());
      return;
    }
    if (!original) {
      const r = await create.run({ input: toCollectionInput(parsed, movies.map((m) => m.id)) });
      if (r) navigate(`/collections/${encodeURIComponent(r.createCollection.collection.slug)}?created=1`, { replace: true, force: true });
      return;
    }
    const { patch, changed } = toCollectionPatch(original, parsed);
    if (!changed) {
      setStatus('Nothing to save: no field changed.');
      return;
    }
    const r = await update.run({ input: { id: original.id, ...patch } });
    if (!r) return;
    const saved = r.updateCollection.collection;
    onChanged(saved);
    const next = formFromCollection(saved);
    setValues(next);
    setSavedValues(next);
    setStatus('Changes saved.');
    // The same collection under its new slug: the editor (and unsaved movie changes) stays.
    if (saved.slug !== original.slug) navigate(`/collections/${encodeURIComponent(saved.slug)}`, { replace: true, force: true });
  }

  async function submitMovies() {
    if (!original) return;
    setMoviesStatus('');
    const r = await saveMovies.run({ input: { id: original.id, movieIds: movies.map((m) => m.id) } });
    if (!r) return;
    const saved = r.setCollectionMovies.collection;
    onChanged(saved);
    setMovies(saved.movies);
    setMoviesStatus(`Movies saved: ${saved.movies.length} in this order.`);
  }

  async function changeStatus(action: 'publish' | 'archive') {
    if (!original) return;
    setStatus('');
    const input = { id: original.id };
    const r = action === 'publish' ? (await publish.run({ input }))?.publishCollection.collection : (await archive.run({ input }))?.archiveCollection.collection;
    if (!r) return;
    onChanged(r);
    setStatus(action === 'publish' ? (r.live ? 'Published; it is live now.' : 'Published; it goes live when its schedule starts.') : 'Archived.');
  }

  const created = typeof window !== 'undefined' && new URLSearchParams(window.location.search).has('created');
  const saving = create.pending || update.pending;
  return (
    <>
      <Back />
      <div className="title-row">
        <h1 tabIndex={-1}>{original ? `Collection “${original.title}”` : 'New collection'}</h1>
        {original && (
          <>
            <StatusPill status={original.status} />
            <LivePill live={original.live} />
          </>
        )}
      </div>
      {original && (
        <div className="actions status-actions">
          {original.status !== 'PUBLISHED' && (
            <button type="button" onClick={() => changeStatus('publish')} disabled={publish.pending}>
              {publish.pending ? 'Publishing…' : 'Publish'}
            </button>
          )}
          {original.status !== 'ARCHIVED' && (
            <button type="button" className="secondary" onClick={() => changeStatus('archive')} disabled={archive.pending}>
              {archive.pending ? 'Archiving…' : 'Archive'}
            </button>
          )}
          <span className="hint">
            {describeSchedule(original.startsAt, original.endsAt)} · {original.audience.description} · updated {formatDate(original.updatedAt)}
          </span>
        </div>
      )}
      <p className="status" role="status" aria-live="polite">
        {status || (created && original ? 'Collection created.' : '')}
      </p>
      <ErrorMessage error={create.error ?? update.error ?? publish.error ?? archive.error} />

      <form className="movie-form collection-form" onSubmit={submit} noValidate aria-label="Collection details">
        <TextField
          label="Title"
          value={values.title}
          error={errors.title}
          required
          onChange={(e) => {
            const title = e.target.value;
            setValues((v) => ({ ...v, title, slug: slugTouched ? v.slug : slugify(title) }));
          }}
        />
        <TextField
          label="Slug"
          value={values.slug}
          error={errors.slug}
          required
          hint="Used in links and by the apps, e.g. noir-week."
          onChange={(e) => {
            setSlugTouched(true);
            setValues((v) => ({ ...v, slug: e.target.value }));
          }}
        />
        <TextField
          label="Artwork URL"
          type="url"
          value={values.artworkUrl}
          error={errors.artworkUrl}
          onChange={(e) => setValues((v) => ({ ...v, artworkUrl: e.target.value }))}
        />
        <TextAreaField
          label="Description"
          rows={3}
          value={values.description}
          error={errors.description}
          onChange={(e) => setValues((v) => ({ ...v, description: e.target.value }))}
        />
        <ScheduleFields
          startsAt={values.startsAt}
          endsAt={values.endsAt}
          errors={errors}
          onChange={(s) => setValues((v) => ({ ...v, ...s }))}
        />
        <AudienceFieldset
          value={values.audience}
          genres={genres}
          error={errors.audience}
          onChange={(audience) => setValues((v) => ({ ...v, audience }))}
        />
        <div className="actions field-wide">
          <button type="submit" disabled={saving}>
            {saving ? 'Saving…' : original ? 'Save details' : 'Create collection'}
          </button>
          {!original && <span className="hint">The movies below are saved with the new collection, as a draft.</span>}
        </div>
      </form>

      <section aria-labelledby="movies-title" className="panel collection-movies">
        <h2 id="movies-title">Movies ({movies.length})</h2>
        <p className="hint">Drag a movie to reorder, or use its up and down buttons.</p>
        <MovieOrderList movies={movies} onChange={setMovies} onAnnounce={setMoviesStatus} />
        <MoviePicker
          label="Add a movie"
          actionLabel="Add"
          excludeIds={movies.map((m) => m.id)}
          onPick={(m) => {
            setMovies((list) => appendUnique(list, m, (x) => x.id));
            setMoviesStatus(`“${m.title}” added at position ${movies.length + 1}.`);
          }}
        />
        <p className="status" role="status" aria-live="polite">
          {moviesStatus}
        </p>
        <ErrorMessage error={saveMovies.error} />
        {original && (
          <div className="actions">
            <button type="button" onClick={submitMovies} disabled={!moviesDirty || saveMovies.pending}>
              {saveMovies.pending ? 'Saving…' : 'Save movies'}
            </button>
            {moviesDirty && (
              <button type="button" className="secondary" onClick={() => setMovies(original.movies)}>
                Undo changes
              </button>
            )}
            {moviesDirty && <span className="hint">Unsaved changes to the list.</span>}
          </div>
        )}
      </section>
    </>
  );
}

/** The ordered movie list: HTML5 drag and drop, plus up/down/remove buttons for the keyboard. */
function MovieOrderList({
  movies,
  onChange,
  onAnnounce,
}: {
  movies: CollectionMovieFragment[];
  onChange: (m: CollectionMovieFragment[]) => void;
  onAnnounce: (text: string) => void;
}) {
  const [dragFrom, setDragFrom] = useState<number | null>(null);
  const [hint, setHint] = useState<{ index: number; lower: boolean } | null>(null);
  const buttons = useRef(new Map<string, HTMLButtonElement>());
  const [focusKey, setFocusKey] = useState<string | null>(null);
  useEffect(() => {
    if (!focusKey) return;
    buttons.current.get(focusKey)?.focus();
    setFocusKey(null);
  }, [focusKey]);

  const move = (from: number, to: number, focus?: 'up' | 'down') => {
    const next = moveItem(movies, from, to);
    if (next.every((m, i) => m.id === movies[i]?.id)) return;
    const moved = movies[from]!;
    const at = next.findIndex((m) => m.id === moved.id);
    onChange(next);
    onAnnounce(`“${moved.title}” moved to position ${at + 1} of ${next.length}.`);
    if (focus) {
      // Keep focus on the moved movie's button; at either end, the other direction.
      const dir = (focus === 'up' && at === 0) || (focus === 'down' && at === next.length - 1) ? (focus === 'up' ? 'down' : 'up') : focus;
      setFocusKey(`${moved.id}:${dir}`);
    }
  };

  const lowerHalf = (e: DragEvent<HTMLElement>) => {
    const r = e.currentTarget.getBoundingClientRect();
    return e.clientY > r.top + r.height / 2;
  };

  if (movies.length === 0) return <p className="empty-list">No movies yet. Search for one below.</p>;
  return (
    <ol className="order-list" aria-label="Movies in order">
      {movies.map((m, i) => {
        const name = `${m.title}${m.year ? ` (${m.year})` : ''}`;
        const cls = [
          dragFrom === i ? 'dragging' : '',
          hint?.index === i && dragFrom !== null && dragFrom !== i ? (hint.lower ? 'drop-after' : 'drop-before') : '',
        ].join(' ');
        return (
          <li
            key={m.id}
            className={cls}
            data-movie-id={m.id}
            draggable
            onDragStart={(e) => {
              setDragFrom(i);
              e.dataTransfer.effectAllowed = 'move';
              e.dataTransfer.setData('text/plain', m.id);
            }}
            onDragOver={(e) => {
              if (dragFrom === null) return;
              e.preventDefault();
              e.dataTransfer.dropEffect = 'move';
              const lower = lowerHalf(e);
              if (hint?.index !== i || hint.lower !== lower) setHint({ index: i, lower });
            }}
            onDrop={(e) => {
              e.preventDefault();
              if (dragFrom !== null) move(dragFrom, dropIndex(dragFrom, i, lowerHalf(e)));
              setDragFrom(null);
              setHint(null);
            }}
            onDragEnd={() => {
              setDragFrom(null);
              setHint(null);
            }}
          >
            <span className="drag-handle" aria-hidden="true">
              ⠿
            </span>
            <span className="position">{i + 1}.</span>
            <span className="order-title">
              {name}
              {!m.available && <span className="pill off">Unavailable</span>}
            </span>
            <span className="row-actions">
              <button
                type="button"
                className="secondary small"
                ref={(el) => void (el ? buttons.current.set(`${m.id}:up`, el) : buttons.current.delete(`${m.id}:up`))}
                disabled={i === 0}
                onClick={() => move(i, i - 1, 'up')}
                aria-label={`Move up: ${m.title}`}
              >
                ↑
              </button>
              <button
                type="button"
                className="secondary small"
                ref={(el) => void (el ? buttons.current.set(`${m.id}:down`, el) : buttons.current.delete(`${m.id}:down`))}
                disabled={i === movies.length - 1}
                onClick={() => move(i, i + 1, 'down')}
                aria-label={`Move down: ${m.title}`}
              >
                ↓
              </button>
              <button
                type="button"
                className="danger small"
                onClick={() => {
                  onChange(movies.filter((x) => x.id !== m.id));
                  onAnnounce(`“${m.title}” removed.`);
                }}
                aria-label={`Remove: ${m.title}`}
              >
                Remove
              </button>
            </span>
          </li>
        );
      })}
    </ol>
  );
}
