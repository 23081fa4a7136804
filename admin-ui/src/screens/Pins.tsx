import { useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { ErrorMessage } from '../components/ErrorMessage';
import { TextAreaField, TextField } from '../components/Field';
import { PerformanceTable, PeriodSelect, usePerformanceAccess, usePerformancePeriod } from '../components/Performance';
import { TableWrap } from '../components/TableWrap';
import { AudienceFieldset, LivePill, MoviePicker, ScheduleFields } from '../components/curation';
import {
  CollectionChoicesDocument,
  CreatePlacementDocument,
  CreateRuleDocument,
  DeletePlacementDocument,
  DeleteRuleDocument,
  GenresDocument,
  PersonNameDocument,
  PlacementPerformanceDocument,
  PlacementsDocument,
  RulesDocument,
  UpdatePlacementDocument,
  UpdateRuleDocument,
  type PlacementRowFragment,
  type RuleKind,
  type RuleRowFragment,
} from '../gql/graphql';
import { useMutation, useQuery } from '../lib/api';
import { EMPTY_AUDIENCE } from '../lib/audience';
import {
  DEFAULT_MULTIPLIER,
  describeMultiplier,
  describeRuleTarget,
  EMPTY_RULE_FORM,
  formChanged,
  movieLabel,
  placementFormFrom,
  placementServerErrors,
  publicReasonText,
  reasonPreview,
  RULE_NOTE_MAX_CHARS,
  RULE_REASON_MAX_CHARS,
  ruleFormFrom,
  ruleServerErrors,
  parseSurface,
  surfaceInput,
  surfaceLabel,
  surfaceOptions,
  toPlacementUpdate,
  toRuleUpdate,
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
import { joinPerformance } from '../lib/performance';
import { Link, navigate, type Location } from '../lib/router';
import { useUnsavedChanges } from '../lib/unsaved';

type ToDelete = { kind: 'pin' | 'rule'; id: string; label: string };
type ToEdit = { kind: 'pin'; item: PlacementRowFragment } | { kind: 'rule'; item: RuleRowFragment };
type SurfaceOption = { value: string; label: string };

/** "Collection: Noir Week", "Movie: Heat (1995)". */
function pinTarget(p: PlacementRowFragment): string {
  return p.movie ? `Movie: ${movieLabel(p.movie)}` : p.collection ? `Collection: ${p.collection.title}` : '—';
}

/** "Collection: Noir Week on Home at 1". */
function pinLabel(p: PlacementRowFragment): string {
  return `${pinTarget(p)} on ${surfaceLabel(p.surface)} at ${p.position}`;
}

/** "BOOST Genre: Drama". */
function ruleLabel(r: RuleRowFragment): string {
  return `${r.kind} ${describeRuleTarget(r)}`;
}

/** The options, plus the current value when they lack it (a genre page of a renamed genre…). */
function withCurrent(options: readonly SurfaceOption[], value: string): SurfaceOption[] {
  return !value || options.some((o) => o.value === value) ? [...options] : [...options, { value, label: surfaceLabel(value) }];
}

/** Moves focus to an element by id once React has rendered it (after a form closes). */
function focusLater(id: string) {
  requestAnimationFrame(() => document.getElementById(id)?.focus());
}

export function Pins({ location }: { location: Location }) {
  // The surface filter's key ("HOME", "GENRE:Drama"); an unknown one in the address shows every surface.
  const asked = location.query.get('surface');
  const surface = asked && parseSurface(asked) ? asked : null;
  const placements = useQuery(PlacementsDocument, { surface: surfaceInput(surface) });
  const rules = useQuery(RulesDocument, {});
  const genres = useQuery(GenresDocument, {});
  const genreNames = (genres.data?.genres ?? []).map((g) => g.genre.name).sort((a, b) => a.localeCompare(b));
  const surfaces = surfaceOptions(genreNames);
  const delPin = useMutation(DeletePlacementDocument);
  const delRule = useMutation(DeleteRuleDocument);
  const [toDelete, setToDelete] = useState<ToDelete | null>(null);
  const [status, setStatus] = useState('');
  // The pin or rule being edited (kept as it was when Edit was pressed: the list may reload).
  const [editingPin, setEditingPin] = useState<PlacementRowFragment | null>(null);
  const [editingRule, setEditingRule] = useState<RuleRowFragment | null>(null);
  // Whether the open edit forms have changes, and the edit that waits for "discard them?".
  const [pinEditDirty, setPinEditDirty] = useState(false);
  const [ruleEditDirty, setRuleEditDirty] = useState(false);
  const [switchTo, setSwitchTo] = useState<ToEdit | null>(null);

  /** Opens the edit form of a row; when another row's edit has unsaved changes, asks first. */
  function startEdit(next: ToEdit) {
    const current = next.kind === 'pin' ? editingPin : editingRule;
    const dirty = next.kind === 'pin' ? pinEditDirty : ruleEditDirty;
    if (current?.id === next.item.id) return;
    if (current && dirty) setSwitchTo(next);
    else openEdit(next);
  }
  function openEdit(next: ToEdit) {
    if (next.kind === 'pin') {
      setPinEditDirty(false);
      setEditingPin(next.item);
    } else {
      setRuleEditDirty(false);
      setEditingRule(next.item);
    }
  }
  function closePinEdit() {
    setPinEditDirty(false);
    setEditingPin(null);
  }
  function closeRuleEdit() {
    setRuleEditDirty(false);
    setEditingRule(null);
  }

  const showPerformance = usePerformanceAccess('placementPerformance');
  const period = usePerformancePeriod();
  const perf = useQuery(PlacementPerformanceDocument, { from: period.from, to: period.to }, { skip: !showPerformance });
  const pinRows = placements.data?.placements ?? [];
  const ruleRows = rules.data?.rules ?? [];
  const pinPerf = joinPerformance(pinRows, (p) => p.id, perf.data?.placementPerformance, 'placementId');
  // Only boosts are attributed (subscribers never see what buries and blocks do); a rule that
  // was a boost earlier in the period keeps its figures.
  const attributedRules = new Set(perf.data?.placementPerformance.flatMap((r) => (r.ruleId ? [r.ruleId] : [])) ?? []);
  const rulePerf = joinPerformance(
    ruleRows.filter((r) => r.kind === 'BOOST' || attributedRules.has(r.id)),
    (r) => r.id,
    perf.data?.placementPerformance,
    'ruleId',
  );

  async function confirmDelete() {
    if (!toDelete) return;
    const d = toDelete;
    const input = { id: d.id };
    const ok = d.kind === 'pin' ? (await delPin.run({ input }))?.deletePlacement.deleted : (await delRule.run({ input }))?.deleteRule.deleted;
    setToDelete(null);
    if (ok === undefined) return;
    setStatus(ok ? `${d.kind === 'pin' ? 'Pin' : 'Rule'} deleted.` : 'It was already gone.');
    if (d.kind === 'pin') {
      if (editingPin?.id === d.id) closePinEdit();
      placements.reload();
    } else {
      if (editingRule?.id === d.id) closeRuleEdit();
      rules.reload();
    }
  }

  return (
    <>
      <div className="title-row">
        <h1 tabIndex={-1}>Pins &amp; rules</h1>
        {showPerformance && (
          <div className="performance-filter">
            <PeriodSelect period={period} inline />
          </div>
        )}
      </div>
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
        <TableWrap label="Pinned placements" busy={placements.loading}>
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
                const target = pinTarget(p);
                const editing = editingPin?.id === p.id;
                return (
                  <tr key={p.id} data-placement-id={p.id} className={editing ? 'editing' : undefined} aria-current={editing ? 'true' : undefined}>
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
                        id={`pin-edit-button-${p.id}`}
                        className="secondary small"
                        aria-label={`Edit pin: ${pinLabel(p)}`}
                        aria-expanded={editing}
                        onClick={() => startEdit({ kind: 'pin', item: p })}
                      >
                        Edit
                      </button>
                      <button
                        type="button"
                        className="danger small"
                        aria-label={`Delete pin: ${pinLabel(p)}`}
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
        </TableWrap>
        {editingPin && (
          <PlacementForm
            key={`edit-${editingPin.id}`}
            surfaces={surfaces}
            genres={genreNames}
            editing={editingPin}
            onDirtyChange={setPinEditDirty}
            onSaved={() => {
              const id = editingPin.id;
              closePinEdit();
              setStatus('Pin saved.');
              placements.reload();
              focusLater(`pin-edit-button-${id}`);
            }}
            onCancel={() => {
              const id = editingPin.id;
              closePinEdit();
              focusLater(`pin-edit-button-${id}`);
            }}
          />
        )}
        {showPerformance && (
          <PerformanceTable
            title="Pin performance"
            itemHeader="Pin"
            rows={pinPerf.rows}
            itemKey={(p) => p.id}
            renderItem={(p) => pinLabel(p)}
            period={period}
            loading={perf.loading || (placements.loading && !placements.data)}
            error={perf.error}
            onRetry={perf.reload}
            unlisted={pinPerf.unlisted}
            unlistedText={(n) => `${n} ${n === 1 ? 'pin' : 'pins'} not listed here (${surface ? 'other surfaces or ' : ''}deleted) also had figures.`}
            emptyText={`No pins${surface ? ` on ${surfaceLabel(surface)}` : ''}.`}
          />
        )}
        <PlacementForm
          surfaces={surfaces}
          genres={genreNames}
          onSaved={() => {
            setStatus('Pin added.');
            placements.reload();
          }}
        />
      </section>

      <section aria-labelledby="rules-title">
        <h2 id="rules-title">Boost, bury and block rules</h2>
        <ErrorMessage error={rules.error} onRetry={rules.reload} />
        <TableWrap label="Rules" busy={rules.loading}>
          <table className="data" aria-label="Rules">
            <thead>
              <tr>
                <th scope="col">Kind</th>
                <th scope="col">Effect</th>
                <th scope="col">Target</th>
                <th scope="col">Surface</th>
                <th scope="col">Schedule</th>
                <th scope="col">Public reason</th>
                <th scope="col">Internal note</th>
                <th scope="col">Live</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {rules.data?.rules.map((r) => {
                const target = describeRuleTarget(r);
                const editing = editingRule?.id === r.id;
                return (
                  <tr key={r.id} data-rule-id={r.id} className={editing ? 'editing' : undefined} aria-current={editing ? 'true' : undefined}>
                    <td>
                      <span className={`pill rule-${r.kind.toLowerCase()}`}>{r.kind}</span>
                    </td>
                    <td>{describeMultiplier(r.kind, r.multiplier)}</td>
                    <th scope="row">{target}</th>
                    <td>{surfaceLabel(r.surface)}</td>
                    <td>{describeSchedule(r.startsAt, r.endsAt)}</td>
                    <td data-field="reason">{r.kind === 'BOOST' ? publicReasonText(r.reason) : '—'}</td>
                    <td data-field="note">{r.note ?? '—'}</td>
                    <td>
                      <LivePill live={r.live} />
                    </td>
                    <td className="row-actions">
                      <button
                        type="button"
                        id={`rule-edit-button-${r.id}`}
                        className="secondary small"
                        aria-label={`Edit rule: ${r.kind} ${target}`}
                        aria-expanded={editing}
                        onClick={() => startEdit({ kind: 'rule', item: r })}
                      >
                        Edit
                      </button>
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
                  <td colSpan={9}>No rules.</td>
                </tr>
              )}
            </tbody>
          </table>
        </TableWrap>
        {editingRule && (
          <RuleForm
            key={`edit-${editingRule.id}`}
            surfaces={surfaces}
            genres={genreNames}
            editing={editingRule}
            onDirtyChange={setRuleEditDirty}
            onSaved={() => {
              const id = editingRule.id;
              closeRuleEdit();
              setStatus('Rule saved.');
              rules.reload();
              focusLater(`rule-edit-button-${id}`);
            }}
            onCancel={() => {
              const id = editingRule.id;
              closeRuleEdit();
              focusLater(`rule-edit-button-${id}`);
            }}
          />
        )}
        {showPerformance && (
          <PerformanceTable
            title="Boost rule performance"
            itemHeader="Boost rule"
            rows={rulePerf.rows}
            itemKey={(r) => r.id}
            renderItem={(r) => `${ruleLabel(r)} (${describeMultiplier(r.kind, r.multiplier)})`}
            period={period}
            loading={perf.loading || (rules.loading && !rules.data)}
            error={perf.error}
            onRetry={perf.reload}
            unlisted={rulePerf.unlisted}
            unlistedText={(n) => `${n} deleted boost ${n === 1 ? 'rule' : 'rules'} also had figures.`}
            emptyText="No boost rules."
          />
        )}
        <RuleForm
          surfaces={surfaces}
          genres={genreNames}
          onSaved={() => {
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

      <ConfirmDialog
        open={switchTo !== null}
        title="Discard your changes?"
        confirmLabel="Discard changes"
        cancelLabel="Keep editing"
        onCancel={() => setSwitchTo(null)}
        onConfirm={() => {
          if (switchTo) openEdit(switchTo);
          setSwitchTo(null);
        }}
      >
        <p>
          Your changes to{' '}
          {switchTo?.kind === 'pin' ? `the pin ${editingPin ? pinLabel(editingPin) : ''}` : `the rule ${editingRule ? ruleLabel(editingRule) : ''}`} are not
          saved.
        </p>
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

/** Focuses (and scrolls to) an edit form's heading when it opens. */
function useFocusOnOpen(active: boolean) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (!active) return;
    ref.current?.focus();
    ref.current?.scrollIntoView?.({ block: 'nearest' });
  }, [active]);
  return ref;
}

/** Adds a pin, or with `editing` changes that pin in place (updatePlacement replaces all its settings). */
export function PlacementForm({
  surfaces,
  genres,
  editing = null,
  onSaved,
  onCancel,
  onDirtyChange,
}: {
  surfaces: readonly SurfaceOption[];
  genres: readonly string[];
  editing?: PlacementRowFragment | null;
  onSaved: () => void;
  onCancel?: () => void;
  onDirtyChange?: (dirty: boolean) => void;
}) {
  const initial = useMemo(() => (editing ? placementFormFrom(editing) : EMPTY_PLACEMENT), [editing]);
  const [v, setV] = useState<PlacementFormValues>(initial);
  const [movieName, setMovieName] = useState(editing?.movie ? movieLabel(editing.movie) : '');
  const [clientErrors, setErrors] = useState<PlacementFormErrors>({});
  const collections = useQuery(CollectionChoicesDocument, {});
  const create = useMutation(CreatePlacementDocument);
  const update = useMutation(UpdatePlacementDocument);
  const save = editing ? update : create;
  // The API's refusal next to the field it names; the form's own checks take precedence.
  const errors: PlacementFormErrors = { ...placementServerErrors(save.error), ...clientErrors };
  const dirty = formChanged(initial, v);
  const titleRef = useFocusOnOpen(editing !== null);
  const prefix = editing ? 'edit-pin' : 'add-pin';
  useUnsavedChanges(dirty, editing ? `Your changes to the pin ${pinLabel(editing)} are not saved.` : 'The new pin is not added yet.');
  useEffect(() => onDirtyChange?.(dirty), [dirty, onDirtyChange]);

  function change(patch: Partial<PlacementFormValues>) {
    setV((prev) => ({ ...prev, ...patch }));
    if (save.error) save.clearError();
  }

  async function submit(e: FormEvent) {
    e.preventDefault();
    const { errors: errs, input } = editing ? toPlacementUpdate(v, editing) : validatePlacementForm(v);
    setErrors(errs);
    if (!input) return;
    const r = editing ? await update.run({ input: { id: editing.id, ...input } }) : await create.run({ input });
    if (!r) return;
    if (!editing) {
      setV(EMPTY_PLACEMENT);
      setMovieName('');
    }
    onSaved();
  }

  const collectionChoices = (collections.data?.collections.nodes ?? []).filter((c) => c.status !== 'ARCHIVED' || c.id === v.collectionId);
  if (editing?.collection && !collectionChoices.some((c) => c.id === editing.collection!.id)) collectionChoices.push(editing.collection);

  return (
    <form className={`movie-form sub-form${editing ? ' edit-form' : ''}`} onSubmit={submit} noValidate aria-labelledby={`${prefix}-title`}>
      <h3 id={`${prefix}-title`} className="field-wide" ref={titleRef} tabIndex={-1}>
        {editing ? 'Edit pin' : 'Add a pin'}
      </h3>
      {editing && (
        <p className="hint field-wide">
          Editing <strong>{pinLabel(editing)}</strong>. Saving replaces all of its settings: an empty start or end is removed.
        </p>
      )}
      <div className="field">
        <label htmlFor={`${prefix}-surface`}>Surface</label>
        <select id={`${prefix}-surface`} value={v.surface} onChange={(e) => change({ surface: e.target.value })} aria-invalid={errors.surface ? true : undefined}>
          {withCurrent(surfaces, v.surface).map((s) => (
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
        onChange={(e) => change({ position: e.target.value })}
      />
      <fieldset className="fieldset">
        <legend>Pin a</legend>
        {(['collection', 'movie'] as const).map((k) => (
          <label key={k} className="check">
            <input type="radio" name={`${prefix}-target-kind`} value={k} checked={v.targetKind === k} onChange={() => change({ targetKind: k })} />
            {k === 'movie' ? 'Movie' : 'Collection'}
          </label>
        ))}
      </fieldset>
      {v.targetKind === 'collection' ? (
        <div className="field">
          <label htmlFor={`${prefix}-collection`}>Collection</label>
          <select
            id={`${prefix}-collection`}
            value={v.collectionId}
            onChange={(e) => change({ collectionId: e.target.value })}
            aria-invalid={errors.target ? true : undefined}
          >
            <option value="">Choose a collection…</option>
            {collectionChoices.map((c) => (
              <option key={c.id} value={c.id}>
                {c.title}
                {c.status === 'DRAFT' ? ' (draft)' : c.status === 'ARCHIVED' ? ' (archived)' : ''}
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
              change({ movieId: m.id });
              setMovieName(movieLabel(m));
            }}
          />
        </div>
      )}
      <ScheduleFields startsAt={v.startsAt} endsAt={v.endsAt} errors={errors} onChange={(s) => change(s)} />
      <AudienceFieldset value={v.audience} genres={genres} error={errors.audience} onChange={(audience) => change({ audience })} />
      <ErrorMessage error={save.error} />
      <div className="actions field-wide">
        <button type="submit" disabled={save.pending}>
          {editing ? (save.pending ? 'Saving…' : 'Save pin') : save.pending ? 'Adding…' : 'Add pin'}
        </button>
        {editing && (
          <button type="button" className="secondary" onClick={onCancel} disabled={save.pending}>
            Cancel
          </button>
        )}
        {editing && dirty && <span className="hint unsaved-note">Unsaved changes</span>}
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

/** A multiplier typed for one kind, kept on a change of kind only when the new kind accepts it. */
function multiplierFor(kind: RuleKind, multiplier: string): string {
  const n = Number(multiplier.trim());
  if (!multiplier.trim() || !Number.isFinite(n)) return multiplier;
  return (kind === 'BOOST' && n > 1 && n <= 10) || (kind === 'BURY' && n > 0 && n < 1) ? multiplier : '';
}

/** Adds a rule, or with `editing` changes that rule in place (updateRule replaces all its settings). */
export function RuleForm({
  surfaces,
  genres,
  editing = null,
  onSaved,
  onCancel,
  onDirtyChange,
}: {
  surfaces: readonly SurfaceOption[];
  genres: readonly string[];
  editing?: RuleRowFragment | null;
  onSaved: () => void;
  onCancel?: () => void;
  onDirtyChange?: (dirty: boolean) => void;
}) {
  const initial = useMemo(() => (editing ? ruleFormFrom(editing) : EMPTY_RULE_FORM), [editing]);
  const [v, setV] = useState<RuleFormValues>(initial);
  const [movieName, setMovieName] = useState(editing?.movie ? movieLabel(editing.movie) : '');
  const [clientErrors, setErrors] = useState<RuleFormErrors>({});
  const create = useMutation(CreateRuleDocument);
  const update = useMutation(UpdateRuleDocument);
  const save = editing ? update : create;
  const errors: RuleFormErrors = { ...ruleServerErrors(save.error), ...clientErrors };
  const dirty = formChanged(initial, v);
  const titleRef = useFocusOnOpen(editing !== null);
  const prefix = editing ? 'edit-rule' : 'add-rule';
  useUnsavedChanges(dirty, editing ? `Your changes to the rule ${ruleLabel(editing)} are not saved.` : 'The new rule is not added yet.');
  useEffect(() => onDirtyChange?.(dirty), [dirty, onDirtyChange]);
  const personId = v.targetKind === 'person' ? v.personId.trim() : '';
  const person = useQuery(PersonNameDocument, { id: personId }, { skip: !personId });
  const preview = reasonPreview(v.kind, v.reason);
  const reasonChars = [...v.reason.trim()].length;

  function change(patch: Partial<RuleFormValues>) {
    setV((prev) => ({ ...prev, ...patch }));
    if (save.error) save.clearError();
  }

  async function submit(e: FormEvent) {
    e.preventDefault();
    const { errors: errs, input } = editing ? toRuleUpdate(v, editing) : validateRuleForm(v);
    setErrors(errs);
    if (!input) return;
    const r = editing ? await update.run({ input: { id: editing.id, ...input } }) : await create.run({ input });
    if (!r) return;
    if (!editing) {
      setV(EMPTY_RULE_FORM);
      setMovieName('');
    }
    onSaved();
  }

  return (
    <form className={`movie-form sub-form${editing ? ' edit-form' : ''}`} onSubmit={submit} noValidate aria-labelledby={`${prefix}-title`}>
      <h3 id={`${prefix}-title`} className="field-wide" ref={titleRef} tabIndex={-1}>
        {editing ? 'Edit rule' : 'Add a rule'}
      </h3>
      {editing && (
        <p className="hint field-wide">
          Editing <strong>{ruleLabel(editing)}</strong>. Saving replaces all of its settings: an empty note, reason, start or end is removed.
        </p>
      )}
      <div className="field">
        <label htmlFor={`${prefix}-kind`}>Kind</label>
        <select id={`${prefix}-kind`} value={v.kind} onChange={(e) => change({ kind: e.target.value as RuleKind, multiplier: multiplierFor(e.target.value as RuleKind, v.multiplier) })}>
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
        onChange={(e) => change({ multiplier: e.target.value })}
      />
      <div className="field">
        <label htmlFor={`${prefix}-target-kind`}>Applies to</label>
        <select id={`${prefix}-target-kind`} value={v.targetKind} onChange={(e) => change({ targetKind: e.target.value as RuleTargetKind })}>
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
              change({ movieId: m.id });
              setMovieName(movieLabel(m));
            }}
          />
        </div>
      )}
      {v.targetKind === 'genre' && (
        <div className="field">
          <label htmlFor={`${prefix}-genre`}>Genre</label>
          <select id={`${prefix}-genre`} value={v.genre} onChange={(e) => change({ genre: e.target.value })} aria-invalid={errors.target ? true : undefined}>
            <option value="">Choose a genre…</option>
            {(v.genre && !genres.includes(v.genre) ? [...genres, v.genre] : genres).map((g) => (
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
          onChange={(e) => change({ personId: e.target.value })}
        />
      )}
      {v.targetKind === 'years' && (
        <>
          <TextField label="First year" inputMode="numeric" value={v.yearFrom} error={errors.yearFrom ?? errors.target} onChange={(e) => change({ yearFrom: e.target.value })} />
          <TextField label="Last year" inputMode="numeric" value={v.yearTo} error={errors.yearTo} onChange={(e) => change({ yearTo: e.target.value })} />
        </>
      )}
      <div className="field">
        <label htmlFor={`${prefix}-surface`}>Surface</label>
        <select id={`${prefix}-surface`} value={v.surface} onChange={(e) => change({ surface: e.target.value })} aria-invalid={errors.surface ? true : undefined}>
          <option value="">All surfaces</option>
          {withCurrent(surfaces, v.surface).map((s) => (
            <option key={s.value} value={s.value}>
              {s.label}
            </option>
          ))}
        </select>
        {errors.surface && <p className="field-error">{errors.surface}</p>}
      </div>
      <ScheduleFields startsAt={v.startsAt} endsAt={v.endsAt} errors={errors} onChange={(s) => change(s)} />
      {preview !== null ? (
        <>
          <TextField
            label="Public reason (shown to subscribers)"
            className="field-wide"
            value={v.reason}
            error={errors.reason}
            hint={`Shown with the boosted movies; empty: “Editor's pick” alone. ${reasonChars}/${RULE_REASON_MAX_CHARS} characters.`}
            onChange={(e) => change({ reason: e.target.value })}
          />
          <p className="reason-preview field-wide" aria-live="polite">
            Subscribers see: <span className="editors-pick" data-reason-preview="">{preview}</span>
          </p>
        </>
      ) : (
        v.reason.trim() && (
          <p className="hint field-wide" data-reason-dropped="">
            Subscribers never see buries and blocks, so they have no public reason: “{v.reason.trim()}” will not be kept.
          </p>
        )
      )}
      <TextAreaField
        label="Internal note (editors only)"
        rows={2}
        value={v.note}
        error={errors.note}
        hint={`Why the rule exists. Never shown to subscribers. At most ${RULE_NOTE_MAX_CHARS} characters.`}
        onChange={(e) => change({ note: e.target.value })}
      />
      <ErrorMessage error={save.error} />
      <div className="actions field-wide">
        <button type="submit" disabled={save.pending}>
          {editing ? (save.pending ? 'Saving…' : 'Save rule') : save.pending ? 'Adding…' : 'Add rule'}
        </button>
        {editing && (
          <button type="button" className="secondary" onClick={onCancel} disabled={save.pending}>
            Cancel
          </button>
        )}
        {editing && dirty && <span className="hint unsaved-note">Unsaved changes</span>}
      </div>
    </form>
  );
}
