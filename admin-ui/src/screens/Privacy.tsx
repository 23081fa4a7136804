import { useEffect, useState, type FormEvent } from 'react';
import { ErrorMessage } from '../components/ErrorMessage';
import { TextField } from '../components/Field';
import { Pager } from '../components/Pager';
import { TableWrap } from '../components/TableWrap';
import { formatDate } from '../components/format';
import { DeletionRequestsDocument, RequestDataDeletionDocument, type DeletionStatus } from '../gql/graphql';
import { useMutation, useQuery } from '../lib/api';
import { DELETION_STATUS_LABELS, DELETION_STATUSES, dueText, isDeletionStatus, requestedByLabel, requestUserLabel } from '../lib/privacy';
import { Link, navigate, type Location } from '../lib/router';

const PAGE_SIZE = 25;

export function DeletionStatusPill({ status }: { status: DeletionStatus }) {
  const cls = status === 'COMPLETED' ? 'ok' : status === 'REJECTED' ? 'off' : status === 'APPROVED' ? 'info' : 'draft';
  return (
    <span className={`pill ${cls}`} data-status={status}>
      {DELETION_STATUS_LABELS[status]}
    </span>
  );
}

export function Privacy({ location }: { location: Location }) {
  const raw = location.query.get('status');
  const status = isDeletionStatus(raw) ? raw : null;
  const [cursors, setCursors] = useState<Array<string | null>>([null]);
  useEffect(() => setCursors([null]), [status]);
  const after = cursors[cursors.length - 1] ?? null;
  const q = useQuery(DeletionRequestsDocument, { first: PAGE_SIZE, after, status });
  const data = q.data?.deletionRequests;
  const now = Date.now();

  return (
    <>
      <h1 tabIndex={-1}>Privacy</h1>
      <p className="hint">
        Requests to delete a user&apos;s data, oldest due first. Exports and the audit log are on each request and in the{' '}
        <Link to="/audit">audit log</Link>.
      </p>
      <NewRequest />

      <section aria-labelledby="queue-title">
        <div className="title-row">
          <h2 id="queue-title">Deletion requests</h2>
          <div className="field inline-field">
            <label htmlFor="deletion-status">Status</label>
            <select id="deletion-status" value={status ?? ''} onChange={(e) => navigate(e.target.value ? `/privacy?status=${e.target.value}` : '/privacy')}>
              <option value="">All statuses</option>
              {DELETION_STATUSES.map((s) => (
                <option key={s} value={s}>
                  {DELETION_STATUS_LABELS[s]}
                </option>
              ))}
            </select>
          </div>
        </div>
        <ErrorMessage error={q.error} onRetry={q.reload} />
        <TableWrap label="Deletion requests" busy={q.loading}>
          <table className="data">
            <caption className="visually-hidden">Deletion requests</caption>
            <thead>
              <tr>
                <th scope="col">User</th>
                <th scope="col">Status</th>
                <th scope="col">Requested by</th>
                <th scope="col">Due</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {data?.nodes.map((r) => {
                const due = dueText(r, now);
                const late = r.overdue && (r.status === 'PENDING' || r.status === 'APPROVED');
                return (
                  <tr key={r.id} data-request-id={r.id} className={late ? 'overdue' : undefined}>
                    <th scope="row">
                      <Link to={`/privacy/${encodeURIComponent(r.id)}`}>{requestUserLabel(r)}</Link>
                    </th>
                    <td>
                      <DeletionStatusPill status={r.status} />
                    </td>
                    <td>{requestedByLabel(r.requestedBy)}</td>
                    <td>
                      {formatDate(r.dueAt)}
                      {due && <span className={`due${late ? ' late' : ''}`}> · {due}</span>}
                    </td>
                    <td>{formatDate(r.createdAt)}</td>
                  </tr>
                );
              })}
              {data && data.nodes.length === 0 && (
                <tr>
                  <td colSpan={5}>{status ? `No ${DELETION_STATUS_LABELS[status].toLowerCase()} requests.` : 'No deletion requests.'}</td>
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
            label="Request pages"
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
      </section>
    </>
  );
}

/** "New request on behalf of a user": the user's id, as on their page. */
function NewRequest() {
  const [open, setOpen] = useState(false);
  const [userId, setUserId] = useState('');
  const [error, setError] = useState<string | undefined>();
  const create = useMutation(RequestDataDeletionDocument);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!userId.trim()) {
      setError('Enter the user id.');
      return;
    }
    setError(undefined);
    const r = await create.run({ input: { userId: userId.trim() } });
    if (r) navigate(`/privacy/${encodeURIComponent(r.requestDataDeletion.deletionRequest.id)}?created=1`);
  }

  if (!open) {
    return (
      <p>
        <button type="button" onClick={() => setOpen(true)}>
          New request on behalf of a user
        </button>
      </p>
    );
  }
  return (
    <form className="filters" onSubmit={submit} noValidate aria-labelledby="new-request-title">
      <h2 id="new-request-title" className="visually-hidden">
        New deletion request
      </h2>
      <TextField
        label="User id"
        name="deletionUserId"
        value={userId}
        error={error}
        onChange={(e) => setUserId(e.target.value)}
        hint="From the user's page in Users. If the user already has an open request, that one opens."
        autoFocus
      />
      <div className="field actions-field">
        <button type="submit" disabled={create.pending}>
          {create.pending ? 'Creating…' : 'Create request'}
        </button>
        <button type="button" className="secondary" onClick={() => setOpen(false)}>
          Cancel
        </button>
      </div>
      <ErrorMessage error={create.error} />
    </form>
  );
}
