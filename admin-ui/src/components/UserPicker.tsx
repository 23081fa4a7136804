import { useEffect, useState, type FormEvent } from 'react';
import { PersonasDocument } from '../gql/graphql';
import { useQuery } from '../lib/api';
import { ErrorMessage } from './ErrorMessage';
import { TextField } from './Field';

/**
 * Chooses the user to preview: an id typed in, or one of a few "personas" (the first
 * users), offered only to roles that may list users.
 */
export function UserPicker({
  value,
  onChoose,
  showPersonas,
  submitLabel = 'Show preview',
}: {
  value: string;
  onChoose: (userId: string) => void;
  showPersonas: boolean;
  submitLabel?: string;
}) {
  const [draft, setDraft] = useState(value);
  useEffect(() => setDraft(value), [value]);
  const personas = useQuery(PersonasDocument, {}, { skip: !showPersonas });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (draft.trim()) onChoose(draft.trim());
  };
  return (
    <div className="user-picker">
      <form className="filters" onSubmit={submit} aria-label="Choose a user">
        <TextField
          label="User id"
          name="userId"
          value={draft}
          onChange={(e) => setDraft(e.target.value)}
          hint="The user's opaque id (shown on the user's page)."
          autoComplete="off"
        />
        <div className="field actions-field">
          <button type="submit" disabled={!draft.trim()}>
            {submitLabel}
          </button>
        </div>
      </form>
      {showPersonas && (
        <div className="personas" role="group" aria-label="Personas">
          <span className="group-label">Personas:</span>
          <ErrorMessage error={personas.error} onRetry={personas.reload} />
          {personas.data?.users.nodes.map((u) => (
            <button
              key={u.id}
              type="button"
              className={`secondary small${u.id === value ? ' selected' : ''}`}
              aria-pressed={u.id === value}
              onClick={() => onChoose(u.id)}
            >
              {u.displayName ?? u.externalId}
              {[u.ageBand, u.country].filter(Boolean).length > 0 && <span className="hint"> · {[u.ageBand, u.country].filter(Boolean).join(', ')}</span>}
            </button>
          ))}
        </div>
      )}
    </div>
  );
}
