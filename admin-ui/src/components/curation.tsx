// Form parts shared by the curation screens: audience, schedule, movie search.
import { useEffect, useId, useState } from 'react';
import { MovieSearchDocument, type CollectionMovieFragment } from '../gql/graphql';
import { useQuery } from '../lib/api';
import { AGE_BAND_LABELS, AGE_BANDS, describeAudience, parseAudience, toggleBand, type AudienceFormValues } from '../lib/audience';
import { ErrorMessage } from './ErrorMessage';
import { TextField } from './Field';

export function AudienceFieldset({
  value,
  onChange,
  genres,
  error,
}: {
  value: AudienceFormValues;
  onChange: (v: AudienceFormValues) => void;
  genres: readonly string[];
  error?: string | undefined;
}) {
  const id = useId();
  const parsed = parseAudience(value);
  return (
    <fieldset className="fieldset field-wide">
      <legend>Audience</legend>
      <div className="field checkbox">
        <input id={`${id}-new`} type="checkbox" checked={value.newUsers} onChange={(e) => onChange({ ...value, newUsers: e.target.checked })} />
        <label htmlFor={`${id}-new`}>New users only (little or no history)</label>
      </div>
      <div className="field">
        <label htmlFor={`${id}-genre`}>Genre affinity</label>
        <select id={`${id}-genre`} value={value.genreAffinity} onChange={(e) => onChange({ ...value, genreAffinity: e.target.value })}>
          <option value="">Any taste</option>
          {genres.map((g) => (
            <option key={g} value={g}>
              {g}
            </option>
          ))}
          {value.genreAffinity && !genres.includes(value.genreAffinity) && <option value={value.genreAffinity}>{value.genreAffinity}</option>}
        </select>
      </div>
      <div className="field" role="group" aria-labelledby={`${id}-bands`}>
        <span id={`${id}-bands`} className="group-label">
          Age bands
        </span>
        <div className="checks">
          {AGE_BANDS.map((b) => (
            <label key={b} className="check">
              <input type="checkbox" checked={value.ageBands.includes(b)} onChange={(e) => onChange({ ...value, ageBands: toggleBand(value.ageBands, b, e.target.checked) })} />
              {AGE_BAND_LABELS[b]}
            </label>
          ))}
        </div>
      </div>
      <TextField
        label="Countries"
        value={value.countries}
        onChange={(e) => onChange({ ...value, countries: e.target.value })}
        hint="Two-letter codes, comma-separated (e.g. US, FR). Empty: every country."
        error={error}
      />
      <p className="hint audience-summary" aria-live="polite">
        Shown to: <strong>{parsed.input ? describeAudience(parsed.input) : '…'}</strong>
      </p>
    </fieldset>
  );
}

export function ScheduleFields({
  startsAt,
  endsAt,
  onChange,
  errors,
}: {
  startsAt: string;
  endsAt: string;
  onChange: (v: { startsAt: string; endsAt: string }) => void;
  errors: { startsAt?: string | undefined; endsAt?: string | undefined };
}) {
  return (
    <>
      <TextField
        label="Starts"
        type="datetime-local"
        value={startsAt}
        onChange={(e) => onChange({ startsAt: e.target.value, endsAt })}
        error={errors.startsAt}
        hint="Your local time. Empty: from now."
      />
      <TextField
        label="Ends"
        type="datetime-local"
        value={endsAt}
        onChange={(e) => onChange({ startsAt, endsAt: e.target.value })}
        error={errors.endsAt}
        hint="Empty: no end."
      />
    </>
  );
}

/** A title search over the whole catalogue with one action button per result. */
export function MoviePicker({
  label,
  actionLabel,
  onPick,
  excludeIds = [],
}: {
  label: string;
  actionLabel: string;
  onPick: (m: CollectionMovieFragment) => void;
  excludeIds?: readonly string[];
}) {
  const [text, setText] = useState('');
  const [search, setSearch] = useState('');
  // Search as the person types, a moment after they stop.
  useEffect(() => {
    const t = setTimeout(() => setSearch(text.trim()), 250);
    return () => clearTimeout(t);
  }, [text]);
  const results = useQuery(MovieSearchDocument, { search, first: 8 }, { skip: search.length < 2 });
  const nodes = search.length < 2 ? [] : (results.data?.movies.nodes ?? []);
  return (
    <div className="movie-picker">
      <TextField
        label={label}
        type="search"
        value={text}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter') {
            e.preventDefault();
            setSearch(text.trim());
          }
        }}
        hint="Type at least two letters of the title."
        autoComplete="off"
      />
      <ErrorMessage error={results.error} onRetry={results.reload} />
      {search.length >= 2 && results.data && nodes.length === 0 && <p className="hint">No movie matches “{search}”.</p>}
      {nodes.length > 0 && (
        <ul className="picker-results" aria-label={`${label}: results`} aria-busy={results.loading}>
          {nodes.map((m) => {
            const name = `${m.title}${m.year ? ` (${m.year})` : ''}`;
            const taken = excludeIds.includes(m.id);
            return (
              <li key={m.id} data-movie-id={m.id}>
                <span>
                  {name}
                  {!m.available && <span className="pill off">Unavailable</span>}
                </span>
                <button type="button" className="secondary small" disabled={taken} onClick={() => onPick(m)} aria-label={`${actionLabel}: ${name}`}>
                  {taken ? 'Added' : actionLabel}
                </button>
              </li>
            );
          })}
        </ul>
      )}
    </div>
  );
}

/** "Live" / "Not live" pill. */
export function LivePill({ live }: { live: boolean }) {
  return (
    <span className={`pill ${live ? 'ok' : 'muted'}`} data-live={live ? 'yes' : 'no'}>
      {live ? 'Live' : 'Not live'}
    </span>
  );
}
