import { useState, type FormEvent } from 'react';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { ErrorMessage } from '../components/ErrorMessage';
import { TextField } from '../components/Field';
import { AudienceFieldset, LivePill, MoviePicker, ScheduleFields } from '../components/curation';
import {
  CollectionChoicesDocument,
  CreatePlacementDocument,
  CreateRuleDocument,
  DeletePlacementDocument,
  DeleteRuleDocument,
  GenresDocument,
  PersonNameDocument,
  PlacementsDocument,
  RulesDocument,
  type RuleKind,
} from '../gql/graphql';
import { useMutation, useQuery } from '../lib/api';
import { EMPTY_AUDIENCE } from '../lib/audience';
import {
  DEFAULT_MULTIPLIER,
  describeMultiplier,
  describeRuleTarget,
  EMPTY_RULE_FORM,
  surfaceLabel,
  surfaceOptions,
  validatePlacementForm,
  validateRuleForm,
  type PlacementFormErrors,
  type PlacementFormValues,
  type RuleFormErrors,
  type RuleFormValues,
  type RuleTargetKind,
} from '../lib/curation';
import { describeSchedule } from '../lib/dates';
import { STATUS_LABELS } from '../lib/collectionForm';
import { Link, navigate, type Location } from '../lib/router';

type ToDelete = { kind: 'pin' | 'rule'; id: string; label: string };

export function Pins({ location }: { location: Location }) {
  const surface = location.query.get('surface') || null;
  const placements = useQuery(PlacementsDocument, { surface });
  const rules = useQuery(RulesDocument, {});
  const genres = useQuery(GenresDocument, {});
  const genreNames = (genres.data?.genres ?? []).map((g) => g.genre.name).sort((a, b) => a.localeCompare(b));
  const surfaces = surfaceOptions(genreNames);
  const delPin = useMutation(DeletePlacementDocument);
  const delRule = useMutation(DeleteRuleDocument);
  const [toDelete, setToDelete] = useState<ToDelete | null>(null);
  const [status, setStatus] = useState('');

  async function confirmDelete() {
    if (!toDelete) return;
    const d = toDelete;
    const ok = d.kind === 'pin' ? (await delPin.run({ id: d.id }))?.deletePlacement : (await delRule.run({ id: d.id }))?.deleteRule;
    setToDelete(null);
    if (ok === undefined) return;
    setStatus(ok ? `${d.kind === 'pin' ? 'Pin' : 'Rule'} deleted.` : 'It was already gone.');
    if (d.kind === 'pin') placements.reload();
    else rules.reload();
  }

  return (
    <>
      <h1 tabIndex={-1}>Pins &amp; rules</h1>
      <p className="status" role="status" aria-live="polite">
        {status}
      </p>
      <ErrorMessage error={delPin.error ?? delRule.error} />

      <section aria-labelledby="pins-title">
        <div className="title-row">
          <h2 id="pins-title">Pinned placements</h2>
          <div className="field inline-field">
            <label htmlFor="pin-surface-filter">Surface</label>
            <select
              id="pin-surface-filter"
              value={surface ?? ''}
              onChange={(e) => navigate(e.target.value ? `/pins?surface=${encodeURIComponent(e.target.value)}` : '/pins')}
            >
              <option value="">All surfaces</option>
              {surfaces.map((s) => (
                <option key={s.value} value={s.value}>
                  {s.label}
                </option>
              ))}
            </select>
          </div>
        </div>
        <ErrorMessage error={placements.error} onRetry={placements.reload} />
        <div className="table-wrap" aria-busy={placements.loading}>
          <table className="data" aria-label="Pinned placements">
            <thead>
              <tr>
                <th scope="col">Surface</th>
                <th scope="col" className="num">
                  Position
                </th>
                <th scope="col">Target</th>
                <th scope="col">Schedule</th>
                <th scope="col">Audience</th>
                <th scope="col">Live</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {placements.data?.placements.map((p) => {
                const target = p.movie
                  ? `Movie: ${p.movie.title}${p.movie.year ? ` (${p.movie.year})` : ''}`
                  : p.collection
                    ? `Collection: ${p.collection.title}`
                    : '—';
                return (
                  <tr key={p.id} data-placement-id={p.id}>
                    <td>{surfaceLabel(p.surface)}</td>
                    <td className="num">{p.position}</td>
                    <th scope="row">
                      {p.collection ? (
                        <>
                          <Link to={`/collections/${encodeURIComponent(p.collection.slug)}`}>{target}</Link>{' '}
                          {p.collection.status !== 'PUBLISHED' && <span className="pill draft">{STATUS_LABELS[p.collection.status]}</span>}
                        </>
                      ) : (
                        target
                      )}
                    </th>
                    <td>{describeSchedule(p.startsAt, p.endsAt)}</td>
                    <td>{p.audience.description}</td>
                    <td>
                      <LivePill live={p.live} />
                    </td>
                    <td className="row-actions">
                      <button
                        type="button"
                        className="danger small"
                        aria-label={`Delete pin: ${target} on ${surfaceLabel(p.surface)} at ${p.position}`}
                        onClick={() => setToDelete({ kind: 'pin', id: p.id, label: `${target}, ${surfaceLabel(p.surface)} position ${p.position}` })}
                      >
                        Delete
                      </button>
                    </td>
                  </tr>
                );
              })}
              {placements.data && placements.data.placements.length === 0 && (
                <tr>
                  <td colSpan={7}>No pins{surface ? ` on ${surfaceLabel(surface)}` : ''}.</td>
                </tr>
              )}
            </tbody>
          </table>
        </div>
        <PlacementForm
          surfaces={surfaces}
          genres={genreNames}
          onCreated={() => {
            setStatus('Pin added.');
            placements.reload();
          }}
        />
      </section>

      <section aria-labelledby="rules-title">
        <h2 id="rules-title">Boost, bury and block rules</h2>
        <ErrorMessage error={rules.error} onRetry={rules.reload} />
        <div className="table-wrap" aria-busy={rules.loading}>
          <table className="data" aria-label="Rules">
            <thead>
              <tr>
                <th scope="col">Kind</th>
                <th scope="col">Effect</th>
                <th scope="col">Target</th>
                <th scope="col">Surface</th>
                <th scope="col">Schedule</th>
                <th scope="col">Note</th>
                <th scope="col">Live</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {rules.data?.rules.map((r) => {
                const target = describeRuleTarget(r);
                return (
                  <tr key={r.id} data-rule-id={r.id}>
                    <td>
                      <span className={`pill rule-${r.kind.toLowerCase()}`}>{r.kind}</span>
                    </td>
                    <td>{describeMultiplier(r.kind, r.multiplier)}</td>
                    <th scope="row">{target}</th>
                    <td>{surfaceLabel(r.surface)}</td>
                    <td>{describeSchedule(r.startsAt, r.endsAt)}</td>
                    <td>{r.note ?? '—'}</td>
                    <td>
                      <LivePill live={r.live} />
                    </td>
                    <td className="row-actions">
                      <button
                        type="button"
                        className="danger small"
                        aria-label={`Delete rule: ${r.kind} ${target}`}
                        onClick={() => setToDelete({ kind: 'rule', id: r.id, label: `${r.kind} ${target}` })}
                      >
                        Delete
                      </button>
                    </td>
                  </tr>
                );
              })}
              {rules.data && rules.data.rules.length === 0 && (
                <tr>
                  <td colSpan={8}>No rules.</td>
                </tr>
              )}
            </tbody>
          </table>
        </div>
        <RuleForm
          surfaces={surfaces}
          genres={genreNames}
          onCreated={() => {
            setStatus('Rule added.');
            rules.reload();
          }}
        />
      </section>

      <ConfirmDialog
        open={toDelete !== null}
        title={toDelete?.kind === 'rule' ? 'Delete this rule?' : 'Delete this pin?'}
        confirmLabel="Delete"
        pending={delPin.pending || delRule.pending}
        onCancel={() => setToDelete(null)}
        onConfirm={confirmDelete}
      >
        <p>{toDelete?.label} will stop applying at once.</p>
      </ConfirmDialog>
    </>
  );
}

const EMPTY_PLACEMENT: PlacementFormValues = {
  surface: 'HOME',
  position: '1',
  targetKind: 'collection',
  movieId: '',
  collectionId: '',
  startsAt: '',
  endsAt: '',
  audience: EMPTY_AUDIENCE,
};

function PlacementForm({
  surfaces,
  genres,
  onCreated,
}: {
  surfaces: Array<{ value: string; label: string }>;
  genres: readonly string[];
  onCreated: () => void;
}) {
  const [v, setV] = useState<PlacementFormValues>(EMPTY_PLACEMENT);
  const [movieName, setMovieName] = useState('');
  const [errors, setErrors] = useState<PlacementFormErrors>({});
  const collections = useQuery(CollectionChoicesDocument, {});
  const create = useMutation(CreatePlacementDocument);

  async function submit(e: FormEvent) {
    e.preventDefault();
    const { errors: errs, input } = validatePlacementForm(v);
    setErrors(errs);
    if (!input) return;
    const r = await create.run({ input });
    if (r) {
      setV(EMPTY_PLACEMENT);
      setMovieName('');
      onCreated();
    }
  }

  return (
    <form className="movie-form sub-form" onSubmit={submit} noValidate aria-labelledby="add-pin-title">
      <h3 id="add-pin-title" className="field-wide">
        Add a pin
      </h3>
      <div className="field">
        <label htmlFor="pin-surface">Surface</label>
        <select id="pin-surface" value={v.surface} onChange={(e) => setV({ ...v, surface: e.target.value })} aria-invalid={errors.surface ? true : undefined}>
          {surfaces.map((s) => (
            <option key={s.value} value={s.value}>
              {s.label}
            </option>
          ))}
        </select>
        {errors.surface && <p className="field-error">{errors.surface}</p>}
      </div>
      <TextField
        label="Position"
        type="number"
        min={1}
        step={1}
        value={v.position}
        error={errors.position}
        hint="1 = first. On Home, a collection's row number; elsewhere a slot in the list."
        onChange={(e) => setV({ ...v, position: e.target.value })}
      />
      <fieldset className="fieldset">
        <legend>Pin a</legend>
        {(['collection', 'movie'] as const).map((k) => (
          <label key={k} className="check">
            <input type="radio" name="pin-target-kind" value={k} checked={v.targetKind === k} onChange={() => setV({ ...v, targetKind: k })} />
            {k === 'movie' ? 'Movie' : 'Collection'}
          </label>
        ))}
      </fieldset>
      {v.targetKind === 'collection' ? (
        <div className="field">
          <label htmlFor="pin-collection">Collection</label>
          <select
            id="pin-collection"
            value={v.collectionId}
            onChange={(e) => setV({ ...v, collectionId: e.target.value })}
            aria-invalid={errors.target ? true : undefined}
          >
            <option value="">Choose a collection…</option>
            {(collections.data?.collections.nodes ?? [])
              .filter((c) => c.status !== 'ARCHIVED')
              .map((c) => (
                <option key={c.id} value={c.id}>
                  {c.title}
                  {c.status === 'DRAFT' ? ' (draft)' : ''}
                </option>
              ))}
          </select>
          {errors.target && <p className="field-error">{errors.target}</p>}
          <ErrorMessage error={collections.error} onRetry={collections.reload} />
        </div>
      ) : (
        <div className="field field-wide">
          <p className="chosen" aria-live="polite">
            Movie: <strong>{movieName || 'none chosen'}</strong>
          </p>
          {errors.target && <p className="field-error">{errors.target}</p>}
          <MoviePicker
            label="Find the movie to pin"
            actionLabel="Choose"
            excludeIds={v.movieId ? [v.movieId] : []}
            onPick={(m) => {
              setV({ ...v, movieId: m.id });
              setMovieName(`${m.title}${m.year ? ` (${m.year})` : ''}`);
            }}
          />
        </div>
      )}
      <ScheduleFields startsAt={v.startsAt} endsAt={v.endsAt} errors={errors} onChange={(s) => setV({ ...v, ...s })} />
      <AudienceFieldset value={v.audience} genres={genres} error={errors.audience} onChange={(audience) => setV({ ...v, audience })} />
      <ErrorMessage error={create.error} />
      <div className="actions field-wide">
        <button type="submit" disabled={create.pending}>
          {create.pending ? 'Adding…' : 'Add pin'}
        </button>
      </div>
    </form>
  );
}

const TARGET_KINDS: ReadonlyArray<{ value: RuleTargetKind; label: string }> = [
  { value: 'movie', label: 'A movie' },
  { value: 'genre', label: 'A genre' },
  { value: 'person', label: 'A person (by id)' },
  { value: 'years', label: 'A release-year range' },
];

function RuleForm({
  surfaces,
  genres,
  onCreated,
}: {
  surfaces: Array<{ value: string; label: string }>;
  genres: readonly string[];
  onCreated: () => void;
}) {
  const [v, setV] = useState<RuleFormValues>(EMPTY_RULE_FORM);
  const [movieName, setMovieName] = useState('');
  const [errors, setErrors] = useState<RuleFormErrors>({});
  const create = useMutation(CreateRuleDocument);
  const personId = v.targetKind === 'person' ? v.personId.trim() : '';
  const person = useQuery(PersonNameDocument, { id: personId }, { skip: !personId });

  async function submit(e: FormEvent) {
    e.preventDefault();
    const { errors: errs, input } = validateRuleForm(v);
    setErrors(errs);
    if (!input) return;
    const r = await create.run({ input });
    if (r) {
      setV(EMPTY_RULE_FORM);
      setMovieName('');
      onCreated();
    }
  }

  return (
    <form className="movie-form sub-form" onSubmit={submit} noValidate aria-labelledby="add-rule-title">
      <h3 id="add-rule-title" className="field-wide">
        Add a rule
      </h3>
      <div className="field">
        <label htmlFor="rule-kind">Kind</label>
        <select id="rule-kind" value={v.kind} onChange={(e) => setV({ ...v, kind: e.target.value as RuleKind })}>
          <option value="BOOST">Boost (rank higher)</option>
          <option value="BURY">Bury (rank lower)</option>
          <option value="BLOCK">Block (never show)</option>
        </select>
      </div>
      <TextField
        label="Multiplier"
        inputMode="decimal"
        value={v.kind === 'BLOCK' ? '' : v.multiplier}
        disabled={v.kind === 'BLOCK'}
        placeholder={v.kind === 'BLOCK' ? 'n/a' : String(DEFAULT_MULTIPLIER[v.kind])}
        error={errors.multiplier}
        hint={v.kind === 'BOOST' ? 'More than 1; empty: 1.5.' : v.kind === 'BURY' ? 'Between 0 and 1; empty: 0.5.' : 'Blocked movies are never shown.'}
        onChange={(e) => setV({ ...v, multiplier: e.target.value })}
      />
      <div className="field">
        <label htmlFor="rule-target-kind">Applies to</label>
        <select id="rule-target-kind" value={v.targetKind} onChange={(e) => setV({ ...v, targetKind: e.target.value as RuleTargetKind })}>
          {TARGET_KINDS.map((t) => (
            <option key={t.value} value={t.value}>
              {t.label}
            </option>
          ))}
        </select>
      </div>
      {v.targetKind === 'movie' && (
        <div className="field field-wide">
          <p className="chosen" aria-live="polite">
            Movie: <strong>{movieName || 'none chosen'}</strong>
          </p>
          {errors.target && <p className="field-error">{errors.target}</p>}
          <MoviePicker
            label="Find the movie"
            actionLabel="Choose"
            excludeIds={v.movieId ? [v.movieId] : []}
            onPick={(m) => {
              setV({ ...v, movieId: m.id });
              setMovieName(`${m.title}${m.year ? ` (${m.year})` : ''}`);
            }}
          />
        </div>
      )}
      {v.targetKind === 'genre' && (
        <div className="field">
          <label htmlFor="rule-genre">Genre</label>
          <select id="rule-genre" value={v.genre} onChange={(e) => setV({ ...v, genre: e.target.value })} aria-invalid={errors.target ? true : undefined}>
            <option value="">Choose a genre…</option>
            {genres.map((g) => (
              <option key={g} value={g}>
                {g}
              </option>
            ))}
          </select>
          {errors.target && <p className="field-error">{errors.target}</p>}
        </div>
      )}
      {v.targetKind === 'person' && (
        <TextField
          label="Person id"
          value={v.personId}
          error={errors.target ?? (person.data && !person.data.person ? 'No person has this id.' : undefined)}
          hint={person.data?.person ? `Person: ${person.data.person.name}` : 'The id of a director or cast member (from the API).'}
          onChange={(e) => setV({ ...v, personId: e.target.value })}
        />
      )}
      {v.targetKind === 'years' && (
        <>
          <TextField label="First year" inputMode="numeric" value={v.yearFrom} error={errors.yearFrom ?? errors.target} onChange={(e) => setV({ ...v, yearFrom: e.target.value })} />
          <TextField label="Last year" inputMode="numeric" value={v.yearTo} error={errors.yearTo} onChange={(e) => setV({ ...v, yearTo: e.target.value })} />
        </>
      )}
      <div className="field">
        <label htmlFor="rule-surface">Surface</label>
        <select id="rule-surface" value={v.surface} onChange={(e) => setV({ ...v, surface: e.target.value })}>
          <option value="">All surfaces</option>
          {surfaces.map((s) => (
            <option key={s.value} value={s.value}>
              {s.label}
            </option>
          ))}
        </select>
        {errors.surface && <p className="field-error">{errors.surface}</p>}
      </div>
      <ScheduleFields startsAt={v.startsAt} endsAt={v.endsAt} errors={errors} onChange={(s) => setV({ ...v, ...s })} />
      <TextField label="Note" value={v.note} error={errors.note} hint="Why the rule exists (shown to editors only)." onChange={(e) => setV({ ...v, note: e.target.value })} />
      <ErrorMessage error={create.error} />
      <div className="actions field-wide">
        <button type="submit" disabled={create.pending}>
          {create.pending ? 'Adding…' : 'Add rule'}
        </button>
      </div>
    </form>
  );
}
