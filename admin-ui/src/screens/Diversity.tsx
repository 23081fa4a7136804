import { useEffect, useState, type FormEvent } from 'react';
import { ErrorMessage } from '../components/ErrorMessage';
import { TextField } from '../components/Field';
import { formatDate } from '../components/format';
import { RecommendationList } from '../components/Recommendations';
import { UserPicker } from '../components/UserPicker';
import {
  DiversitySettingsDocument,
  GenresDocument,
  PreviewRecommendationsDocument,
  SetDiversitySettingsDocument,
  type DiversityFieldsFragment,
} from '../gql/graphql';
import { useMutation, useQuery } from '../lib/api';
import { parseSurface, surfaceKey, surfaceLabel, surfaceOptions } from '../lib/curation';
import {
  defaultDiversityForm,
  diversityFormChanged,
  formFromSettings,
  genreMix,
  TOP_N,
  validateDiversityForm,
  type DiversityFormErrors,
  type DiversityFormValues,
} from '../lib/diversity';
import { can } from '../lib/roles';
import { navigate, type Location } from '../lib/router';
import type { Session } from '../lib/session';
import { confirmLeave, useUnsavedChanges } from '../lib/unsaved';
import { userRefFromQuery, userRefQuery, userRefVariables, type UserRef } from '../lib/userRef';

function withQuery(surface: string, user: UserRef | null): string {
  const parts: string[] = [];
  if (surface !== 'RECOMMENDATIONS') parts.push(`surface=${encodeURIComponent(surface)}`);
  if (user) parts.push(userRefQuery(user));
  return `/diversity${parts.length ? `?${parts.join('&')}` : ''}`;
}

export function Diversity({ session, location }: { session: Session; location: Location }) {
  // The surface's key ("HOME", "GENRE:Drama"); an unknown one in the address means the default.
  const asked = location.query.get('surface');
  const surface = asked && parseSurface(asked) ? asked : 'RECOMMENDATIONS';
  const user = userRefFromQuery(location.query);
  const settings = useQuery(DiversitySettingsDocument, {});
  const genres = useQuery(GenresDocument, {});
  const genreNames = (genres.data?.genres ?? []).map((g) => g.genre.name);
  const options = surfaceOptions(genreNames);
  const existing = settings.data?.diversitySettings ?? [];
  for (const s of existing) if (!options.some((o) => o.value === surfaceKey(s.surface))) options.push({ value: surfaceKey(s.surface), label: surfaceLabel(s.surface) });
  const current = existing.find((s) => surfaceKey(s.surface) === surface) ?? null;
  const preview = useQuery(PreviewRecommendationsDocument, { ...(user ? userRefVariables(user) : {}), first: 20 }, { skip: !user });

  return (
    <>
      <h1 tabIndex={-1}>Diversity</h1>
      <p className="hint">How much each surface trades relevance for variety. Saving applies at once.</p>
      <ErrorMessage error={settings.error} onRetry={settings.reload} />
      <div className="two-columns">
        <section aria-labelledby="settings-title" className="panel">
          <h2 id="settings-title">Settings</h2>
          <div className="field">
            <label htmlFor="diversity-surface">Surface</label>
            <select
              id="diversity-surface"
              value={surface}
              onChange={(e) => {
                const next = withQuery(e.target.value, user);
                // Another surface replaces the form: ask first when this one has unsaved changes.
                void confirmLeave().then((ok) => ok && navigate(next, { replace: true }));
              }}
            >
              {options.map((o) => (
                <option key={o.value} value={o.value}>
                  {o.label}
                  {existing.some((s) => surfaceKey(s.surface) === o.value) ? '' : ' (not set)'}
                </option>
              ))}
            </select>
          </div>
          {settings.data && (
            <DiversityForm
              key={surface}
              initial={current ? formFromSettings(current) : defaultDiversityForm(surface)}
              updatedAt={current?.updatedAt ?? null}
              onSaved={(saved) => {
                settings.setData((d) =>
                  d && { diversitySettings: [...d.diversitySettings.filter((s) => surfaceKey(s.surface) !== surfaceKey(saved.surface)), saved] },
                );
                preview.reload();
              }}
            />
          )}
          {existing.length > 0 && (
            <details className="overview">
              <summary>All surfaces ({existing.length})</summary>
              <table className="data compact">
                <thead>
                  <tr>
                    <th scope="col">Surface</th>
                    <th scope="col">Max/genre</th>
                    <th scope="col">λ</th>
                    <th scope="col">Calibration</th>
                    <th scope="col">Min genres</th>
                    <th scope="col">Novelty</th>
                  </tr>
                </thead>
                <tbody>
                  {existing.map((s) => (
                    <tr key={surfaceKey(s.surface)}>
                      <th scope="row">{surfaceLabel(s.surface)}</th>
                      <td>{s.maxPerGenre ?? '—'}</td>
                      <td>{s.mmrLambda}</td>
                      <td>{s.calibration}</td>
                      <td>{s.minGenres ?? '—'}</td>
                      <td>{s.noveltyWeight}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </details>
          )}
        </section>

        <section aria-labelledby="live-preview-title" className="panel">
          <h2 id="live-preview-title">Live preview</h2>
          <p className="hint">Recommendations for one user, refreshed after each save.</p>
          <UserPicker
            value={user}
            showPersonas={can(session.role, 'users.view')}
            onChoose={(u) => navigate(withQuery(surface, u), { replace: true })}
          />
          {user && (
            <div aria-busy={preview.loading}>
              <ErrorMessage error={preview.error} onRetry={preview.reload} />
              {preview.loading && <p className="hint">Refreshing…</p>}
              {preview.data && (
                <>
                  <p className="genre-mix">
                    Genres in the top {TOP_N}:{' '}
                    {genreMix(preview.data.previewRecommendations)
                      .map((g) => `${g.genre} ${g.count}`)
                      .join(' · ') || '—'}
                  </p>
                  <RecommendationList items={preview.data.previewRecommendations} label="Previewed recommendations" />
                </>
              )}
            </div>
          )}
        </section>
      </div>
    </>
  );
}

function Slider({
  id,
  label,
  value,
  onChange,
  hint,
  error,
}: {
  id: string;
  label: string;
  value: number;
  onChange: (v: number) => void;
  hint: string;
  error?: string | undefined;
}) {
  return (
    <div className="field slider">
      <label htmlFor={id}>{label}</label>
      <div className="slider-row">
        <input id={id} type="range" min={0} max={1} step={0.05} value={value} onChange={(e) => onChange(Number(e.target.value))} aria-describedby={`${id}-hint`} />
        <input
          type="number"
          min={0}
          max={1}
          step={0.05}
          value={value}
          aria-label={`${label} (number)`}
          aria-invalid={error ? true : undefined}
          onChange={(e) => onChange(e.target.value === '' ? Number.NaN : Number(e.target.value))}
        />
      </div>
      <p id={`${id}-hint`} className="hint">
        {hint}
      </p>
      {error && <p className="field-error">{error}</p>}
    </div>
  );
}

function DiversityForm({
  initial,
  updatedAt,
  onSaved,
}: {
  initial: DiversityFormValues;
  updatedAt: string | null;
  onSaved: (s: DiversityFieldsFragment) => void;
}) {
  const [v, setV] = useState<DiversityFormValues>(initial);
  const [errors, setErrors] = useState<DiversityFormErrors>({});
  const [status, setStatus] = useState('');
  useUnsavedChanges(diversityFormChanged(v, initial), `The diversity settings for ${surfaceLabel(initial.surface)} are not saved.`);
  const save = useMutation(SetDiversitySettingsDocument);
  useEffect(() => setStatus(''), [v]);

  async function submit(e: FormEvent) {
    e.preventDefault();
    const { errors: errs, input } = validateDiversityForm(v);
    setErrors(errs);
    if (!input) return;
    const r = await save.run({ input });
    if (r) {
      const saved = r.setDiversitySettings.diversitySettings;
      onSaved(saved);
      setStatus(`Saved for ${surfaceLabel(saved.surface)}.`);
    }
  }

  return (
    <form onSubmit={submit} noValidate className="stack" aria-label="Diversity settings">
      <p className="hint">{updatedAt ? `Last changed ${formatDate(updatedAt)}.` : 'Not set for this surface yet: no re-ranking.'}</p>
      <TextField
        label="Max per genre"
        type="number"
        min={1}
        max={TOP_N}
        value={v.maxPerGenre}
        error={errors.maxPerGenre}
        hint={`At most this many movies of one genre in the top ${TOP_N}. Empty: no limit.`}
        onChange={(e) => setV({ ...v, maxPerGenre: e.target.value })}
      />
      <Slider
        id="mmr-lambda"
        label="MMR λ (relevance ↔ diversity)"
        value={v.mmrLambda}
        error={errors.mmrLambda}
        hint="1 = relevance only, 0 = diversity only."
        onChange={(mmrLambda) => setV({ ...v, mmrLambda })}
      />
      <Slider
        id="calibration"
        label="Calibration"
        value={v.calibration}
        error={errors.calibration}
        hint="How strongly the genre mix follows the user's history (0 = not at all)."
        onChange={(calibration) => setV({ ...v, calibration })}
      />
      <TextField
        label="Min genres"
        type="number"
        min={1}
        max={TOP_N}
        value={v.minGenres}
        error={errors.minGenres}
        hint={`At least this many distinct genres in the top ${TOP_N}. Empty: no minimum.`}
        onChange={(e) => setV({ ...v, minGenres: e.target.value })}
      />
      <Slider
        id="novelty"
        label="Novelty weight"
        value={v.noveltyWeight}
        error={errors.noveltyWeight}
        hint="Weight on less popular titles (0 = none)."
        onChange={(noveltyWeight) => setV({ ...v, noveltyWeight })}
      />
      {errors.surface && <p className="field-error">{errors.surface}</p>}
      <ErrorMessage error={save.error} />
      <div className="actions">
        <button type="submit" disabled={save.pending}>
          {save.pending ? 'Saving…' : 'Save settings'}
        </button>
        <button type="button" className="secondary" onClick={() => setV(initial)}>
          Reset
        </button>
      </div>
      <p className="status" role="status" aria-live="polite">
        {status}
      </p>
    </form>
  );
}
