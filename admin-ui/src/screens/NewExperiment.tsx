import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { ErrorMessage } from '../components/ErrorMessage';
import { TextAreaField, TextField } from '../components/Field';
import { CreateExperimentDocument, type ExperimentMetric, type ExperimentSurface } from '../gql/graphql';
import { useMutation } from '../lib/api';
import {
  addBlendWeight,
  addGuardrail,
  addVariant,
  BLEND_COMPONENTS,
  DEFAULT_CANDIDATE_POOL,
  EMPTY_EXPERIMENT_FORM,
  errorSummary,
  formatShareSum,
  MAX_BLEND_FACTOR,
  MAX_CANDIDATE_POOL,
  MAX_VARIANTS,
  MAX_WINDOW_HOURS,
  METRIC_HINTS,
  METRIC_NAMES,
  METRICS,
  MIN_CANDIDATE_POOL,
  MIN_VARIANTS,
  removeBlendWeight,
  removeVariant,
  SHARE_TOLERANCE,
  sharesTotal,
  splitEvenly,
  SURFACE_NAMES,
  SURFACES,
  validateExperimentForm,
  variantLabel,
  type BlendWeightField,
  type BlendWeightFormValues,
  type ExperimentFormErrors,
  type ExperimentFormValues,
  type GuardrailFormValues,
  type VariantField,
  type VariantFormValues,
} from '../lib/experimentForm';
import { Link, navigate } from '../lib/router';
import { sameValues, useUnsavedChanges } from '../lib/unsaved';

/** `/experiments/new`: defines an experiment as a draft. */
export function NewExperiment() {
  const [v, setV] = useState<ExperimentFormValues>(EMPTY_EXPERIMENT_FORM);
  const [errors, setErrors] = useState<ExperimentFormErrors | null>(null);
  const create = useMutation(CreateExperimentDocument);
  const summaryRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    document.title = 'New experiment · Marquee admin';
  }, []);
  useUnsavedChanges(!sameValues(v, EMPTY_EXPERIMENT_FORM), 'The new experiment is not created yet.');

  async function submit(e: FormEvent) {
    e.preventDefault();
    create.clearError();
    const { errors: errs, input } = validateExperimentForm(v);
    if (!input) {
      setErrors(errs);
      requestAnimationFrame(() => {
        const first = document.querySelector<HTMLElement>('.experiment-form [aria-invalid="true"]');
        (first ?? summaryRef.current)?.focus();
      });
      return;
    }
    setErrors(null);
    const r = await create.run({ input });
    if (r) navigate(`/experiments/${encodeURIComponent(r.createExperiment.experiment.id)}?created=1`, { replace: true, force: true });
  }

  const setVariants = (variants: VariantFormValues[], clear = false) => {
    setV((x) => ({ ...x, variants }));
    if (clear) setErrors(null);
  };
  const setGuardrails = (guardrails: GuardrailFormValues[], clear = false) => {
    setV((x) => ({ ...x, guardrails }));
    if (clear) setErrors(null);
  };
  const total = sharesTotal(v.variants);
  const totalOk = Math.abs(total - 1) <= SHARE_TOLERANCE;
  const summary = errors ? errorSummary(errors) : [];

  return (
    <>
      <p>
        <Link to="/experiments">← Back to experiments</Link>
      </p>
      <h1 tabIndex={-1}>New experiment</h1>
      <p className="hint">It is saved as a draft: nothing is served until you start it.</p>
      <form className="movie-form experiment-form" onSubmit={submit} noValidate aria-label="New experiment">
        <TextField
          label="Experiment name"
          value={v.name}
          error={errors?.name}
          required
          maxLength={100}
          onChange={(e) => setV({ ...v, name: e.target.value })}
        />
        <div className="field">
          <label htmlFor="experiment-surface">Surface</label>
          <select id="experiment-surface" value={v.surface} onChange={(e) => setV({ ...v, surface: e.target.value as ExperimentSurface })}>
            {SURFACES.map((s) => (
              <option key={s} value={s}>
                {SURFACE_NAMES[s]}
              </option>
            ))}
          </select>
        </div>
        <MetricSelect
          label="Primary metric"
          value={v.primaryMetric}
          hint={`Decide on this one. ${METRIC_HINTS[v.primaryMetric]}`}
          onChange={(primaryMetric) => setV({ ...v, primaryMetric })}
        />
        <TextAreaField
          label="Description"
          rows={2}
          value={v.description}
          error={errors?.description}
          hint="What it tests and why (staff only)."
          onChange={(e) => setV({ ...v, description: e.target.value })}
        />

        <fieldset className="fieldset field-wide variants-fieldset" aria-describedby="variants-hint">
          <legend>Variants</legend>
          <p id="variants-hint" className="hint field-wide">
            {MIN_VARIANTS} to {MAX_VARIANTS} variants; the first is the control. A share is the fraction of the experiment’s users who get that variant; the
            shares add up to 1.
          </p>
          {errors?.variants && <p className="field-error field-wide">{errors.variants}</p>}
          {v.variants.map((variant, i) => (
            <VariantFieldset
              key={i}
              index={i}
              value={variant}
              errors={errors?.variantFields[i] ?? {}}
              blendErrors={errors?.blendFields[i] ?? []}
              canRemove={v.variants.length > MIN_VARIANTS}
              onChange={(nv, clear) => setVariants(v.variants.map((x, j) => (j === i ? nv : x)), clear)}
              onRemove={() => setVariants(removeVariant(v.variants, i), true)}
            />
          ))}
          <div className="actions field-wide">
            <button type="button" className="secondary" onClick={() => setVariants(addVariant(v.variants), true)} disabled={v.variants.length >= MAX_VARIANTS}>
              Add variant
            </button>
            <button type="button" className="secondary" onClick={() => setVariants(splitEvenly(v.variants))}>
              Split evenly
            </button>
            <span className={totalOk ? 'hint' : 'field-error'} aria-live="polite">
              Shares add up to {formatShareSum(total)}
              {totalOk ? '.' : ' (must be 1).'}
            </span>
          </div>
          {errors?.shares && <p className="field-error field-wide">{errors.shares}</p>}
          <datalist id={BLEND_COMPONENTS_LIST}>
            {BLEND_COMPONENTS.map((c) => (
              <option key={c} value={c} />
            ))}
          </datalist>
        </fieldset>

        <fieldset className="fieldset field-wide">
          <legend>Traffic</legend>
          <TextField
            label="Traffic from"
            inputMode="decimal"
            value={v.trafficFrom}
            error={errors?.trafficFrom}
            hint="Start of the surface's users claimed, 0–1."
            onChange={(e) => setV({ ...v, trafficFrom: e.target.value })}
          />
          <TextField
            label="Traffic to"
            inputMode="decimal"
            value={v.trafficTo}
            error={errors?.trafficTo}
            hint="End of the range (0–1 claims everyone). Experiments on one surface running together need disjoint ranges."
            onChange={(e) => setV({ ...v, trafficTo: e.target.value })}
          />
          <CheckboxField
            label="Orthogonal"
            checked={v.orthogonal}
            hint="Hash users independently of the surface's other experiments, so it may overlap them (their changes combine)."
            onChange={(orthogonal) => setV({ ...v, orthogonal })}
          />
        </fieldset>

        <fieldset className="fieldset field-wide guardrails-fieldset">
          <legend>Guardrails</legend>
          <p className="hint field-wide">
            The experiment stops by itself when a variant makes a watched metric worse than the control by more than the tolerance (relative, with 95 %
            confidence). Optional.
          </p>
          {v.guardrails.length === 0 && <p className="field-wide">No guardrails.</p>}
          {v.guardrails.map((g, i) => {
            const ge = errors?.guardrailFields[i] ?? {};
            return (
              <fieldset key={i} className="fieldset field-wide guardrail">
                <legend>Guardrail {i + 1}</legend>
                <MetricSelect
                  label="Metric"
                  value={g.metric}
                  error={ge.metric}
                  onChange={(metric) => setGuardrails(v.guardrails.map((x, j) => (j === i ? { ...x, metric } : x)))}
                />
                <TextField
                  label="Tolerance"
                  inputMode="decimal"
                  value={g.tolerance}
                  error={ge.tolerance}
                  hint="Relative loss tolerated, 0–1 (0.05 = 5 % worse than the control)."
                  onChange={(e) => setGuardrails(v.guardrails.map((x, j) => (j === i ? { ...x, tolerance: e.target.value } : x)))}
                />
                <div className="actions">
                  <button
                    type="button"
                    className="danger small"
                    onClick={() =>
                      setGuardrails(
                        v.guardrails.filter((_, j) => j !== i),
                        true,
                      )
                    }
                  >
                    Remove guardrail {i + 1}
                  </button>
                </div>
              </fieldset>
            );
          })}
          <div className="actions field-wide">
            <button
              type="button"
              className="secondary"
              onClick={() => setGuardrails(addGuardrail(v.guardrails), true)}
              disabled={v.guardrails.length >= METRICS.length}
            >
              Add guardrail
            </button>
          </div>
        </fieldset>

        <TextField
          label="Attribution window (hours)"
          type="number"
          min={1}
          max={MAX_WINDOW_HOURS}
          step={1}
          value={v.attributionWindowHours}
          error={errors?.attributionWindowHours}
          hint={`Events up to this long after a list was shown count for it (1–${MAX_WINDOW_HOURS}).`}
          onChange={(e) => setV({ ...v, attributionWindowHours: e.target.value })}
        />
        <TextField
          label="Ends at"
          type="datetime-local"
          value={v.endsAt}
          error={errors?.endsAt}
          hint="Optional; your time zone. It stops by itself then."
          onChange={(e) => setV({ ...v, endsAt: e.target.value })}
        />

        {summary.length > 0 && (
          <div className="error field-wide" role="alert" tabIndex={-1} ref={summaryRef} aria-labelledby="experiment-errors-title">
            <p id="experiment-errors-title">
              <strong>{summary.length === 1 ? 'There is a problem' : `There are ${summary.length} problems`} with the experiment:</strong>
            </p>
            <ul>
              {summary.map((m, i) => (
                <li key={i}>{m}</li>
              ))}
            </ul>
          </div>
        )}
        <div className="field-wide">
          <ErrorMessage error={create.error} />
        </div>
        <div className="actions field-wide">
          <button type="submit" disabled={create.pending}>
            {create.pending ? 'Creating…' : 'Create experiment'}
          </button>
          <Link to="/experiments" force>
            Cancel
          </Link>
        </div>
      </form>
    </>
  );
}

function MetricSelect({
  label,
  value,
  onChange,
  hint,
  error,
}: {
  label: string;
  value: ExperimentMetric;
  onChange: (m: ExperimentMetric) => void;
  hint?: string;
  error?: string | undefined;
}) {
  const id = useId();
  const described = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select
        id={id}
        value={value}
        aria-invalid={error ? true : undefined}
        aria-describedby={described}
        onChange={(e) => onChange(e.target.value as ExperimentMetric)}
      >
        {METRICS.map((m) => (
          <option key={m} value={m}>
            {METRIC_NAMES[m]}
          </option>
        ))}
      </select>
      {hint && (
        <p id={`${id}-hint`} className="hint">
          {hint}
        </p>
      )}
      {error && (
        <p id={`${id}-error`} className="field-error">
          {error}
        </p>
      )}
    </div>
  );
}

function CheckboxField({ label, checked, onChange, hint }: { label: string; checked: boolean; onChange: (v: boolean) => void; hint?: string }) {
  const id = useId();
  return (
    <div className="field checkbox-with-hint">
      <div className="check">
        <input id={id} type="checkbox" checked={checked} aria-describedby={hint ? `${id}-hint` : undefined} onChange={(e) => onChange(e.target.checked)} />
        <label htmlFor={id}>{label}</label>
      </div>
      {hint && (
        <p id={`${id}-hint`} className="hint">
          {hint}
        </p>
      )}
    </div>
  );
}

/** The `<datalist>` of component names the blend weight rows suggest (one per form). */
const BLEND_COMPONENTS_LIST = 'blend-components';

function VariantFieldset({
  index,
  value,
  errors,
  blendErrors,
  canRemove,
  onChange,
  onRemove,
}: {
  index: number;
  value: VariantFormValues;
  errors: Partial<Record<VariantField, string>>;
  blendErrors: ReadonlyArray<Partial<Record<BlendWeightField, string>>>;
  canRemove: boolean;
  /** `clear`: the rows moved, so the errors shown no longer match them. */
  onChange: (v: VariantFormValues, clear?: boolean) => void;
  onRemove: () => void;
}) {
  const set = (patch: Partial<VariantFormValues>, clear = false) => onChange({ ...value, ...patch }, clear);
  const setBlend = (j: number, patch: Partial<BlendWeightFormValues>) => set({ blendWeights: value.blendWeights.map((b, k) => (k === j ? { ...b, ...patch } : b)) });
  const blendHintId = useId();
  return (
    <fieldset className="fieldset field-wide variant" data-variant-index={index}>
      <legend>{variantLabel(index)}</legend>
      <TextField
        label="Name"
        value={value.name}
        error={errors.name}
        maxLength={40}
        hint="1–40 characters, unique."
        onChange={(e) => set({ name: e.target.value })}
      />
      <TextField
        label="Share"
        inputMode="decimal"
        value={value.share}
        error={errors.share}
        hint="e.g. 0.5 for half the users."
        onChange={(e) => set({ share: e.target.value })}
      />
      <CheckboxField
        label="Editorial curation"
        checked={value.curation}
        hint="Pins, collection rows, boosts and buries on the surface. Off: the model's ranking alone (block rules still apply); such a variant cannot be shipped."
        onChange={(curation) => set({ curation })}
      />
      <CheckboxField
        label="Own diversity settings"
        checked={value.ownDiversity}
        hint="Off: the surface's current diversity settings."
        onChange={(ownDiversity) => set({ ownDiversity })}
      />
      {value.ownDiversity && (
        <>
          <TextField
            label="Max per genre"
            type="number"
            min={1}
            step={1}
            value={value.maxPerGenre}
            error={errors.maxPerGenre}
            hint="At most this many movies of one genre in any 10 in a row. Empty: no limit."
            onChange={(e) => set({ maxPerGenre: e.target.value })}
          />
          <TextField
            label="MMR λ"
            inputMode="decimal"
            value={value.mmrLambda}
            error={errors.mmrLambda}
            hint="0–1: 1 = relevance only, 0 = diversity only."
            onChange={(e) => set({ mmrLambda: e.target.value })}
          />
          <TextField
            label="Calibration"
            inputMode="decimal"
            value={value.calibration}
            error={errors.calibration}
            hint="0–1: how strongly the genre mix follows the user's history."
            onChange={(e) => set({ calibration: e.target.value })}
          />
          <TextField
            label="Min genres"
            type="number"
            min={1}
            max={10}
            step={1}
            value={value.minGenres}
            error={errors.minGenres}
            hint="1–10 distinct genres in the first 10. Empty: no minimum."
            onChange={(e) => set({ minGenres: e.target.value })}
          />
          <TextField
            label="Novelty weight"
            inputMode="decimal"
            value={value.noveltyWeight}
            error={errors.noveltyWeight}
            hint="0–1: weight on less popular titles."
            onChange={(e) => set({ noveltyWeight: e.target.value })}
          />
        </>
      )}
      <TextField
        label="Candidate pool"
        inputMode="numeric"
        autoComplete="off"
        value={value.candidatePool}
        error={errors.candidatePool}
        hint={`How many of the model’s best candidates the list re-ranks, ${MIN_CANDIDATE_POOL}–${MAX_CANDIDATE_POOL}. Empty: the server’s default (${DEFAULT_CANDIDATE_POOL} for a list).`}
        onChange={(e) => set({ candidatePool: e.target.value })}
      />
      <fieldset className="plain-fieldset field-wide blend-weights" aria-describedby={blendHintId}>
        <legend className="group-label">Blend weights</legend>
        <p id={blendHintId} className="hint">
          Factors on the ranking blend’s learned component weights, 0–{MAX_BLEND_FACTOR}: 2 doubles a model’s weight, 0 leaves it out; components not listed keep
          theirs{value.blendWeights.length === 0 ? ' (none: the blend as learned)' : ''}. A variant with a candidate pool or blend weights cannot be shipped.
        </p>
        {value.blendWeights.map((b, j) => {
          const be = blendErrors[j] ?? {};
          return (
            <div key={j} className="blend-row" data-blend-index={j}>
              <TextField
                className="blend-component"
                label="Component"
                list={BLEND_COMPONENTS_LIST}
                autoComplete="off"
                autoCapitalize="none"
                spellCheck={false}
                value={b.component}
                error={be.component}
                onChange={(e) => setBlend(j, { component: e.target.value })}
              />
              <TextField
                className="blend-factor"
                label="Factor"
                inputMode="decimal"
                autoComplete="off"
                value={b.factor}
                error={be.factor}
                onChange={(e) => setBlend(j, { factor: e.target.value })}
              />
              <button
                type="button"
                className="danger small"
                aria-label={`Remove blend weight ${j + 1}`}
                onClick={() => set({ blendWeights: removeBlendWeight(value.blendWeights, j) }, true)}
              >
                Remove
              </button>
            </div>
          );
        })}
        <div className="actions">
          <button type="button" className="secondary small" onClick={() => set({ blendWeights: addBlendWeight(value.blendWeights) }, true)}>
            Add blend weight
          </button>
        </div>
      </fieldset>
      {canRemove && (
        <div className="actions field-wide">
          <button type="button" className="danger small" onClick={onRemove}>
            Remove {variantLabel(index).toLowerCase()}
          </button>
        </div>
      )}
    </fieldset>
  );
}
