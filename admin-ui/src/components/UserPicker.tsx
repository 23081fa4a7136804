import { useEffect, useId, useState, type FormEvent } from 'react';
import { PersonasDocument } from '../gql/graphql';
import { useQuery } from '../lib/api';
import { ageBandLabel } from '../lib/audience';
import { userRefVariables, type UserRef, type UserRefKind } from '../lib/userRef';
import { ErrorMessage } from './ErrorMessage';
import { TextField } from './Field';

const KIND_LABELS: Readonly<Record<UserRefKind, string>> = {
  external: 'External id',
  id: 'User id',
};

const KIND_HINTS: Readonly<Record<UserRefKind, string>> = {
  external: 'The id your apps know the user by (the subject of their token).',
  id: "The user's opaque id (shown on the user's page).",
};

/**
 * Chooses the user to preview: an external id (what the frontends call the user) or an
 * opaque id typed in, or one of a few "personas" (the first users), offered only to roles
 * that may list users.
 */
export function UserPicker({
  value,
  onChoose,
  showPersonas,
  submitLabel = 'Show preview',
}: {
  value: UserRef | null;
  onChoose: (user: UserRef) => void;
  showPersonas: boolean;
  submitLabel?: string;
}) {
  const [kind, setKind] = useState<UserRefKind>(value?.kind ?? 'external');
  const [draft, setDraft] = useState(value?.value ?? '');
  useEffect(() => {
    if (value) {
      setKind(value.kind);
      setDraft(value.value);
    }
  }, [value?.kind, value?.value]);
  const personas = useQuery(PersonasDocument, {}, { skip: !showPersonas });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (draft.trim()) onChoose({ kind, value: draft.trim() });
  };
  const chosen = value ? userRefVariables(value) : {};
  const kindId = useId();
  return (
    <div className="user-picker">
      <form className="filters" onSubmit={submit} aria-label="Choose a user">
        <div className="field">
          <label htmlFor={kindId}>Find the user by</label>
          <select id={kindId} name="userKind" value={kind} onChange={(e) => setKind(e.target.value as UserRefKind)}>
            <option value="external">{KIND_LABELS.external}</option>
            <option value="id">{KIND_LABELS.id}</option>
          </select>
        </div>
        <TextField
          label={KIND_LABELS[kind]}
          name="userId"
          value={draft}
          onChange={(e) => setDraft(e.target.value)}
          hint={KIND_HINTS[kind]}
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
              className={`secondary small${u.id === chosen.userId || u.externalId === chosen.externalId ? ' selected' : ''}`}
              aria-pressed={u.id === chosen.userId || u.externalId === chosen.externalId}
              onClick={() => onChoose({ kind: 'external', value: u.externalId })}
            >
              {u.displayName ?? u.externalId}
              {[ageBandLabel(u.ageBand, ''), u.country].filter(Boolean).length > 0 && (
                <span className="hint"> · {[ageBandLabel(u.ageBand, ''), u.country].filter(Boolean).join(', ')}</span>
              )}
            </button>
          ))}
        </div>
      )}
    </div>
  );
}
