import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { ErrorMessage } from '../components/ErrorMessage';
import { TextField } from '../components/Field';
import { Pager } from '../components/Pager';
import { TableWrap } from '../components/TableWrap';
import { formatDate } from '../components/format';
import { AuditLogDocument } from '../gql/graphql';
import { useQuery } from '../lib/api';
import {
  ACTOR_KIND_LABELS,
  ACTOR_KINDS,
  auditFiltersFromQuery,
  auditFiltersToQuery,
  auditFormFromFilters,
  describeActor,
  formatDetails,
  parseAuditForm,
  toAuditFilterInput,
  type AuditFilterForm,
} from '../lib/auditFilters';
import { navigate, type Location } from '../lib/router';

const PAGE_SIZE = 50;

export function AuditLog({ location }: { location: Location }) {
  const queryString = location.query.toString();
  const filters = useMemo(() => auditFiltersFromQuery(new URLSearchParams(queryString)), [queryString]);
  const filter = toAuditFilterInput(filters);
  const filterKey = JSON.stringify(filter);
  const [cursors, setCursors] = useState<Array<string | null>>([null]);
  useEffect(() => setCursors([null]), [filterKey]);
  const after = cursors[cursors.length - 1] ?? null;
  const q = useQuery(AuditLogDocument, { first: PAGE_SIZE, after, filter });
  const data = q.data?.auditLog;

  const [form, setForm] = useState<AuditFilterForm>(() => auditFormFromFilters(filters));
  useEffect(() => setForm(auditFormFromFilters(filters)), [filters]);
  const [errors, setErrors] = useState<{ since?: string; until?: string }>({});

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const r = parseAuditForm(form);
    setErrors(r.errors);
    if (r.filters) navigate(`/audit${auditFiltersToQuery(r.filters)}`);
  };

  return (
    <>
      <h1 tabIndex={-1}>Audit log</h1>
      <form className="filters" role="search" aria-label="Filter the audit log" onSubmit={submit} noValidate>
        <TextField
          label="Action starts with"
          name="action"
          value={form.action}
          hint="e.g. deletion or collection."
          onChange={(e) => setForm({ ...form, action: e.target.value })}
        />
        <div className="field">
          <label htmlFor="audit-actor">Actor</label>
          <select id="audit-actor" value={form.actorKind} onChange={(e) => setForm({ ...form, actorKind: e.target.value as AuditFilterForm['actorKind'] })}>
            <option value="">Anyone</option>
            {ACTOR_KINDS.map((k) => (
              <option key={k} value={k}>
                {ACTOR_KIND_LABELS[k]}
              </option>
            ))}
          </select>
        </div>
        <TextField label="Target type" name="targetType" value={form.targetType} onChange={(e) => setForm({ ...form, targetType: e.target.value })} />
        <TextField label="Target id" name="targetId" value={form.targetId} onChange={(e) => setForm({ ...form, targetId: e.target.value })} />
        <TextField label="Since" type="datetime-local" value={form.since} error={errors.since} onChange={(e) => setForm({ ...form, since: e.target.value })} />
        <TextField label="Until" type="datetime-local" value={form.until} error={errors.until} onChange={(e) => setForm({ ...form, until: e.target.value })} />
        <div className="field actions-field">
          <button type="submit">Filter</button>
          {queryString && (
            <button type="button" className="secondary" onClick={() => navigate('/audit')}>
              Clear filters
            </button>
          )}
        </div>
      </form>
      <ErrorMessage error={q.error} onRetry={q.reload} />
      <TableWrap label="Audit entries" busy={q.loading}>
        <table className="data audit">
          <caption className="visually-hidden">Audit entries, newest first</caption>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Actor</th>
              <th scope="col">Action</th>
              <th scope="col">Target</th>
              <th scope="col">Details</th>
            </tr>
          </thead>
          <tbody>
            {data?.nodes.map((e) => (
              <tr key={e.id} data-action={e.action}>
                <td>{formatDate(e.at)}</td>
                <td>{describeActor(e)}</td>
                <th scope="row">
                  <code>{e.action}</code>
                </th>
                <td>
                  {e.targetType ?? '—'}
                  {e.targetId && (
                    <>
                      {' '}
                      <code className="id">{e.targetId}</code>
                    </>
                  )}
                </td>
                <td>
                  {e.details == null ? (
                    '—'
                  ) : (
                    <details>
                      <summary>Show</summary>
                      {/* Long details scroll: a focusable region, so the keyboard can scroll it. */}
                      <pre className="json" role="region" aria-label={`Details of ${e.action}`} tabIndex={0}>
                        {formatDetails(e.details)}
                      </pre>
                    </details>
                  )}
                </td>
              </tr>
            ))}
            {data && data.nodes.length === 0 && (
              <tr>
                <td colSpan={5}>No entries match.</td>
              </tr>
            )}
            {!data && q.loading && (
              <tr>
                <td colSpan={5}>Loading…</td>
              </tr>
            )}
          </tbody>
        </table>
      </TableWrap>
      {data && (
        <Pager
          label="Audit log pages"
          page={cursors.length - 1}
          pageSize={PAGE_SIZE}
          shown={data.nodes.length}
          total={data.totalCount}
          hasNext={data.pageInfo.hasNextPage}
          busy={q.loading}
          onPrevious={() => setCursors((c) => (c.length > 1 ? c.slice(0, -1) : c))}
          onNext={() => data.pageInfo.endCursor && setCursors((c) => [...c, data.pageInfo.endCursor])}
        />
      )}
    </>
  );
}
