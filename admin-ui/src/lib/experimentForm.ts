// The new-experiment form: its values, validation (mirroring the API's rules, see
// docs/experiments.md) and the CreateExperimentInput it sends.
import type {
  BlendWeightInput,
  CreateExperimentInput,
  ExperimentMetric,
  ExperimentSurface,
  ExperimentVariantInput,
  GuardrailInput,
  VariantDiversityInput,
} from '../gql/graphql';
import { localInputToIso } from './dates';

export const MIN_VARIANTS = 2;
export const MAX_VARIANTS = 5;
export const MAX_NAME_CHARS = 100;
export const MAX_VARIANT_NAME_CHARS = 40;
export const MAX_WINDOW_HOURS = 720;
/** Users are split in this many buckets (traffic ranges and shares are rounded to them). */
export const BUCKETS = 10_000;
/** How far the shares' sum may be from 1 (the API's tolerance). */
export const SHARE_TOLERANCE = 1e-6;
/** The diversity limits apply to the top 10 (minGenres is 1–10). */
export const DIVERSITY_WINDOW = 10;
/** A variant's candidate pool: how many of the model's best candidates a list re-ranks. */
export const MIN_CANDIDATE_POOL = 20;
export const MAX_CANDIDATE_POOL = 5000;
/** The server's own pool for a list, when a variant sets none. */
export const DEFAULT_CANDIDATE_POOL = 800;
/** Largest factor on a blend component's learned weight (0 leaves it out, 1 keeps it). */
export const MAX_BLEND_FACTOR = 10;
/**
 * Component names the form suggests (model names as the ranking blend lists them). The server
 * accepts the components of the blend in service and says which they are when one is not.
 */
export const BLEND_COMPONENTS: readonly string[] = ['ease', 'als', 'knn_rank', 'popularity', 'content'];

export const SURFACES: readonly ExperimentSurface[] = ['HOME', 'RECOMMENDATIONS'];
export const METRICS: readonly ExperimentMetric[] = ['CLICK_THROUGH', 'COMPLETION', 'CLICKS_PER_USER', 'COMPLETIONS_PER_USER', 'MEAN_RATING', 'NOT_INTERESTED'];

export interface VariantFormValues {
  name: string;
  /** A fraction of the experiment's users, e.g. "0.5". */
  share: string;
  /** Editorial curation (pins, collection rows, boosts, buries) on the surface. */
  curation: boolean;
  /** Whether the variant has diversity settings of its own (the fields below). */
  ownDiversity: boolean;
  /** Empty: no limit. */
  maxPerGenre: string;
  /** Empty: the API's default (1). */
  mmrLambda: string;
  /** Empty: the API's default (0). */
  calibration: string;
  /** Empty: no minimum. */
  minGenres: string;
  /** Empty: the API's default (0). */
  noveltyWeight: string;
  /** Whole number 20–5000; empty: the server's default (800). */
  candidatePool: string;
  /** Factors on the ranking blend's component weights; none: the blend as learned. */
  blendWeights: BlendWeightFormValues[];
}

export interface BlendWeightFormValues {
  /** A component of the blend, by model name (e.g. "popularity"). */
  component: string;
  /** 0–10: 2 doubles the component's weight, 0 leaves it out. */
  factor: string;
}

export interface GuardrailFormValues {
  metric: ExperimentMetric;
  /** Relative loss tolerated, 0–1 (e.g. "0.05" = 5 % worse than the control). */
  tolerance: string;
}

export interface ExperimentFormValues {
  name: string;
  description: string;
  surface: ExperimentSurface;
  /** The first is the control. */
  variants: VariantFormValues[];
  trafficFrom: string;
  trafficTo: string;
  orthogonal: boolean;
  primaryMetric: ExperimentMetric;
  guardrails: GuardrailFormValues[];
  attributionWindowHours: string;
  /** datetime-local value in the browser's zone; empty: no end. */
  endsAt: string;
}

export type VariantField = 'name' | 'share' | 'maxPerGenre' | 'mmrLambda' | 'calibration' | 'minGenres' | 'noveltyWeight' | 'candidatePool';
export type GuardrailField = 'metric' | 'tolerance';
export type BlendWeightField = 'component' | 'factor';

export interface ExperimentFormErrors {
  name?: string;
  description?: string;
  trafficFrom?: string;
  trafficTo?: string;
  attributionWindowHours?: string;
  endsAt?: string;
  /** About the variants as a whole: how many there are. */
  variants?: string;
  /** The shares do not add up to 1. */
  shares?: string;
  /** Per variant, in the form's order. */
  variantFields: Array<Partial<Record<VariantField, string>>>;
  /** Per guardrail, in the form's order. */
  guardrailFields: Array<Partial<Record<GuardrailField, string>>>;
  /** Per variant, then per blend weight row, in the form's order. */
  blendFields: Array<Array<Partial<Record<BlendWeightField, string>>>>;
}

export function emptyVariant(name = '', share = ''): VariantFormValues {
  return {
    name,
    share,
    curation: true,
    ownDiversity: false,
    maxPerGenre: '',
    mmrLambda: '1',
    calibration: '0',
    minGenres: '',
    noveltyWeight: '0',
    candidatePool: '',
    blendWeights: [],
  };
}

export const EMPTY_EXPERIMENT_FORM: ExperimentFormValues = {
  name: '',
  description: '',
  surface: 'RECOMMENDATIONS',
  variants: [emptyVariant('control', '0.5'), emptyVariant('treatment', '0.5')],
  trafficFrom: '0',
  trafficTo: '1',
  orthogonal: false,
  primaryMetric: 'CLICK_THROUGH',
  guardrails: [],
  attributionWindowHours: '24',
  endsAt: '',
};

/**
 * Shares for `n` variants, as even as whole buckets allow, written with 4 decimals; the last
 * takes the remainder so they add up to exactly 1 (3 → 0.3333, 0.3333, 0.3334).
 */
export function evenShares(n: number): string[] {
  if (n < 1) return [];
  const each = Math.floor(BUCKETS / n);
  const last = BUCKETS - each * (n - 1);
  return Array.from({ length: n }, (_, i) => String((i === n - 1 ? last : each) / BUCKETS));
}

/** Sets every variant's share to an even split. */
export function splitEvenly(variants: readonly VariantFormValues[]): VariantFormValues[] {
  const shares = evenShares(variants.length);
  return variants.map((v, i) => ({ ...v, share: shares[i]! }));
}

/** A decimal such as "0.5", ".5" or "0,5"; null when it is not one. */
export function parseDecimal(s: string): number | null {
  const t = s.trim().replace(',', '.');
  if (!/^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/.test(t)) return null;
  const n = Number(t);
  return Number.isFinite(n) ? n : null;
}

function parseWhole(s: string): number | null {
  const t = s.trim();
  return /^[+-]?\d+$/.test(t) ? Number(t) : null;
}

/** The sum of the shares that parse (what the form shows next to the variants). */
export function sharesTotal(variants: readonly VariantFormValues[]): number {
  return variants.reduce((sum, v) => sum + (parseDecimal(v.share) ?? 0), 0);
}

/** "0.9", "1.05", "0.333333": at most 6 decimals, no trailing zeros. */
export function formatShareSum(n: number): string {
  return String(Number(n.toFixed(6)));
}

function unitValue(s: string, label: string): { value: number | null; error?: string } {
  if (!s.trim()) return { value: null };
  const n = parseDecimal(s);
  if (n === null || n < 0 || n > 1) return { value: null, error: `${label} must be a number between 0 and 1.` };
  return { value: n };
}

function validateDiversity(v: VariantFormValues, errors: Partial<Record<VariantField, string>>): VariantDiversityInput | null {
  const d: VariantDiversityInput = {};
  if (v.maxPerGenre.trim()) {
    const n = parseWhole(v.maxPerGenre);
    if (n === null || n < 1) errors.maxPerGenre = 'Max per genre must be a whole number of at least 1.';
    else d.maxPerGenre = n;
  }
  if (v.minGenres.trim()) {
    const n = parseWhole(v.minGenres);
    if (n === null || n < 1 || n > DIVERSITY_WINDOW) errors.minGenres = `Min genres must be a whole number from 1 to ${DIVERSITY_WINDOW}.`;
    else d.minGenres = n;
  }
  const lambda = unitValue(v.mmrLambda, 'MMR λ');
  if (lambda.error) errors.mmrLambda = lambda.error;
  else if (lambda.value !== null) d.mmrLambda = lambda.value;
  const calibration = unitValue(v.calibration, 'Calibration');
  if (calibration.error) errors.calibration = calibration.error;
  else if (calibration.value !== null) d.calibration = calibration.value;
  const novelty = unitValue(v.noveltyWeight, 'Novelty weight');
  if (novelty.error) errors.noveltyWeight = novelty.error;
  else if (novelty.value !== null) d.noveltyWeight = novelty.value;
  return d;
}

/** The candidate pool: empty is the server's default (null), else a whole number 20–5000. */
function validateCandidatePool(v: VariantFormValues, errors: Partial<Record<VariantField, string>>): number | null {
  if (!v.candidatePool.trim()) return null;
  const n = parseWhole(v.candidatePool);
  if (n === null || n < MIN_CANDIDATE_POOL || n > MAX_CANDIDATE_POOL) {
    errors.candidatePool = `Candidate pool must be a whole number from ${MIN_CANDIDATE_POOL} to ${MAX_CANDIDATE_POOL}; leave it empty for the server’s default (${DEFAULT_CANDIDATE_POOL}).`;
    return null;
  }
  return n;
}

/** Blend weights, as the server checks them: each names a component once, with a factor 0–10. */
function validateBlendWeights(rows: readonly BlendWeightFormValues[], errors: Array<Partial<Record<BlendWeightField, string>>>): BlendWeightInput[] {
  const seen = new Set<string>();
  return rows.map((row, j) => {
    const fe = errors[j]!;
    const component = row.component.trim();
    if (!component) fe.component = 'Component is required (or remove the row).';
    else if (seen.has(component)) fe.component = `“${component}” is already weighted: each component once.`;
    seen.add(component);
    const factor = parseDecimal(row.factor);
    if (factor === null || factor < 0 || factor > MAX_BLEND_FACTOR)
      fe.factor = `Factor must be a number from 0 to ${MAX_BLEND_FACTOR}.`;
    return { component, factor: factor ?? 0 };
  });
}

/**
 * Validates the form and builds the input. `now` (ms) is when "in the future" is measured
 * from. The server checks everything again; its BAD_USER_INPUT message is shown as well.
 */
export function validateExperimentForm(
  v: ExperimentFormValues,
  now: number = Date.now(),
): { errors: ExperimentFormErrors; input: CreateExperimentInput | null } {
  const errors: ExperimentFormErrors = {
    variantFields: v.variants.map(() => ({})),
    guardrailFields: v.guardrails.map(() => ({})),
    blendFields: v.variants.map((x) => x.blendWeights.map(() => ({}))),
  };

  const name = v.name.trim();
  if (!name) errors.name = 'Name is required.';
  else if ([...name].length > MAX_NAME_CHARS) errors.name = `Name must be at most ${MAX_NAME_CHARS} characters.`;
  const description = v.description.trim();

  // Variants: 2–5, each named (1–40 characters, unique) with a share in (0, 1]; shares add up to 1.
  if (v.variants.length < MIN_VARIANTS || v.variants.length > MAX_VARIANTS) {
    errors.variants = `An experiment has ${MIN_VARIANTS} to ${MAX_VARIANTS} variants (this one has ${v.variants.length}).`;
  }
  const seen = new Set<string>();
  const variants: ExperimentVariantInput[] = [];
  let sharesOk = true;
  v.variants.forEach((variant, i) => {
    const fe = errors.variantFields[i]!;
    const vName = variant.name.trim();
    if (!vName) fe.name = 'Variant name is required.';
    else if ([...vName].length > MAX_VARIANT_NAME_CHARS) fe.name = `Variant name must be at most ${MAX_VARIANT_NAME_CHARS} characters.`;
    else if (seen.has(vName)) fe.name = `Another variant is already named “${vName}”: names must be unique.`;
    seen.add(vName);
    const share = parseDecimal(variant.share);
    if (share === null || share <= 0 || share > 1) {
      fe.share = 'Share must be a number greater than 0 and at most 1 (e.g. 0.5).';
      sharesOk = false;
    }
    const diversity = variant.ownDiversity ? validateDiversity(variant, fe) : null;
    const candidatePool = validateCandidatePool(variant, fe);
    const blendWeights = validateBlendWeights(variant.blendWeights, errors.blendFields[i]!);
    const input: ExperimentVariantInput = { name: vName, share: share ?? 0, curation: variant.curation };
    if (diversity) input.diversity = diversity;
    if (candidatePool !== null) input.candidatePool = candidatePool;
    if (blendWeights.length > 0) input.blendWeights = blendWeights;
    variants.push(input);
  });
  if (sharesOk && v.variants.length > 0) {
    const total = sharesTotal(v.variants);
    if (Math.abs(total - 1) > SHARE_TOLERANCE) errors.shares = `The variants’ shares add up to ${formatShareSum(total)}; they must add up to 1.`;
    else if (v.variants.some((x) => Math.round(parseDecimal(x.share)! * BUCKETS) === 0)) errors.shares = `Each share must be at least 1/${BUCKETS} (0.0001).`;
  }

  // Traffic: 0 ≤ from < to ≤ 1, at least one bucket wide.
  const from = parseDecimal(v.trafficFrom);
  const to = parseDecimal(v.trafficTo);
  if (from === null || from < 0 || from >= 1) errors.trafficFrom = 'Traffic from must be a number from 0 to just below 1.';
  if (to === null || to <= 0 || to > 1) errors.trafficTo = 'Traffic to must be a number above 0 and at most 1.';
  if (!errors.trafficFrom && !errors.trafficTo && from !== null && to !== null) {
    if (to <= from) errors.trafficTo = 'Traffic to must be greater than traffic from.';
    else if (Math.round(to * BUCKETS) <= Math.round(from * BUCKETS)) errors.trafficTo = `The traffic range must be at least 1/${BUCKETS} (0.0001) wide.`;
  }

  // Guardrails: each metric once, tolerance 0–1.
  const guardrails: GuardrailInput[] = [];
  const watched = new Set<ExperimentMetric>();
  v.guardrails.forEach((g, i) => {
    const fe = errors.guardrailFields[i]!;
    if (!METRICS.includes(g.metric)) fe.metric = 'Choose a metric.';
    else if (watched.has(g.metric)) fe.metric = `Another guardrail already watches ${METRIC_NAMES[g.metric]}.`;
    watched.add(g.metric);
    const t = parseDecimal(g.tolerance);
    if (t === null || t < 0 || t > 1) fe.tolerance = 'Tolerance must be a number between 0 and 1 (0.05 = 5 % worse than the control).';
    guardrails.push({ metric: g.metric, tolerance: t ?? 0 });
  });

  const window = parseWhole(v.attributionWindowHours);
  if (window === null || window < 1 || window > MAX_WINDOW_HOURS)
    errors.attributionWindowHours = `Attribution window must be a whole number of hours from 1 to ${MAX_WINDOW_HOURS}.`;

  let endsAt: string | null = null;
  if (v.endsAt.trim()) {
    endsAt = localInputToIso(v.endsAt);
    if (!endsAt) errors.endsAt = 'Enter a valid date and time.';
    else if (Date.parse(endsAt) <= now) errors.endsAt = 'The end must be in the future.';
  }

  if (hasErrors(errors)) return { errors, input: null };
  const input: CreateExperimentInput = {
    name,
    surface: v.surface,
    variants,
    trafficFrom: from!,
    trafficTo: to!,
    orthogonal: v.orthogonal,
    primaryMetric: v.primaryMetric,
    guardrails,
    attributionWindowHours: window!,
  };
  if (description) input.description = description;
  if (endsAt) input.endsAt = endsAt;
  return { errors, input };
}

export function hasErrors(e: ExperimentFormErrors): boolean {
  const { variantFields, guardrailFields, blendFields, ...top } = e;
  const any = (f: Partial<Record<string, string>>) => Object.values(f).some(Boolean);
  return Object.values(top).some(Boolean) || variantFields.some(any) || guardrailFields.some(any) || blendFields.some((rows) => rows.some(any));
}

/** Every problem as a sentence, in the form's order, for the summary next to the submit button. */
export function errorSummary(e: ExperimentFormErrors): string[] {
  const out: string[] = [];
  if (e.name) out.push(e.name);
  if (e.description) out.push(e.description);
  if (e.variants) out.push(e.variants);
  e.variantFields.forEach((f, i) => {
    for (const msg of Object.values(f)) if (msg) out.push(`${variantLabel(i)}: ${msg}`);
    (e.blendFields[i] ?? []).forEach((row, j) => {
      for (const msg of Object.values(row)) if (msg) out.push(`${variantLabel(i)}, blend weight ${j + 1}: ${msg}`);
    });
  });
  if (e.shares) out.push(e.shares);
  if (e.trafficFrom) out.push(e.trafficFrom);
  if (e.trafficTo) out.push(e.trafficTo);
  e.guardrailFields.forEach((f, i) => {
    for (const msg of Object.values(f)) if (msg) out.push(`Guardrail ${i + 1}: ${msg}`);
  });
  if (e.attributionWindowHours) out.push(e.attributionWindowHours);
  if (e.endsAt) out.push(e.endsAt);
  return out;
}

/** "Variant 1 (control)", "Variant 2". */
export function variantLabel(index: number): string {
  return index === 0 ? 'Variant 1 (control)' : `Variant ${index + 1}`;
}

/** Adds a variant (up to 5) and re-splits the shares evenly. */
export function addVariant(variants: readonly VariantFormValues[]): VariantFormValues[] {
  if (variants.length >= MAX_VARIANTS) return [...variants];
  const names = new Set(variants.map((v) => v.name.trim()));
  let n = variants.length + 1;
  while (names.has(`variant-${n}`)) n++;
  return splitEvenly([...variants, emptyVariant(`variant-${n}`)]);
}

/** Removes a variant (never below 2) and re-splits the shares evenly. */
export function removeVariant(variants: readonly VariantFormValues[], index: number): VariantFormValues[] {
  if (variants.length <= MIN_VARIANTS) return [...variants];
  return splitEvenly(variants.filter((_, i) => i !== index));
}

/** Adds an empty blend weight row to a variant (its component and factor are then required). */
export function addBlendWeight(rows: readonly BlendWeightFormValues[]): BlendWeightFormValues[] {
  return [...rows, { component: '', factor: '' }];
}

/** Removes a variant's blend weight row. */
export function removeBlendWeight(rows: readonly BlendWeightFormValues[], index: number): BlendWeightFormValues[] {
  return rows.filter((_, j) => j !== index);
}

/** Adds a guardrail on the first metric not yet watched (none when all are). */
export function addGuardrail(guardrails: readonly GuardrailFormValues[]): GuardrailFormValues[] {
  const free = METRICS.find((m) => !guardrails.some((g) => g.metric === m));
  return free ? [...guardrails, { metric: free, tolerance: '0.05' }] : [...guardrails];
}

export const METRIC_NAMES: Readonly<Record<ExperimentMetric, string>> = {
  CLICK_THROUGH: 'Click-through rate',
  COMPLETION: 'Completion rate',
  CLICKS_PER_USER: 'Clicks per user',
  COMPLETIONS_PER_USER: 'Completions per user',
  MEAN_RATING: 'Mean rating',
  NOT_INTERESTED: 'Not-interested rate',
};

export const METRIC_HINTS: Readonly<Record<ExperimentMetric, string>> = {
  CLICK_THROUGH: 'Shown movies clicked ÷ movies shown.',
  COMPLETION: 'Shown movies watched to the end ÷ movies shown.',
  CLICKS_PER_USER: 'Shown movies clicked, per user.',
  COMPLETIONS_PER_USER: 'Shown movies watched to the end, per user.',
  MEAN_RATING: 'Mean rating of shown movies rated afterwards.',
  NOT_INTERESTED: 'Shown movies dismissed ÷ movies shown; lower is better.',
};

export const SURFACE_NAMES: Readonly<Record<ExperimentSurface, string>> = {
  HOME: 'Home feed',
  RECOMMENDATIONS: 'Recommendations',
};
