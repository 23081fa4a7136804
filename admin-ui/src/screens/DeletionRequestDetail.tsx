import { useEffect, useState, type FormEvent } from 'react';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { ErrorMessage } from '../components/ErrorMessage';
import { TextAreaField } from '../components/Field';
import { formatDate, formatNumber } from '../components/format';
import {
  ApproveDeletionRequestDocument,
  CompleteDeletionRequestDocument,
  DeletionRequestDocument,
  RejectDeletionRequestDocument,
  type DeletionRequestDetailFragment,
} from '../gql/graphql';
import { useMutation, useQuery } from '../lib/api';
import { deletionActions, dueText, outcomeRows, requestedByLabel, requestUserLabel, validateRejectReason } from '../lib/privacy';
import { Link } from '../lib/router';
import { ExportButton } from './UserDetail';
import { DeletionStatusPill } from './Privacy';

export function DeletionRequestDetail({ id }: { id: string }) {
  const q = useQuery(DeletionRequestDocument, { id });
  const req = q.data?.deletionRequest;
  useEffect(() => {
    if (req) document.title = `Deletion request ${requestUserLabel(req)} · Marquee admin`;
  }, [req]);

  if (q.error) {
    return (
      <>
        <Back />
        <h1 tabIndex={-1}>Deletion request</h1>
        <ErrorMessage error={q.error} onRetry={q.reload} />
      </>
    );
  }
  if (!q.data) return <p aria-busy="true">Loading…</p>;
  if (!req) {
    return (
      <>
        <Back />
        <h1 tabIndex={-1}>Deletion request not found</h1>
      </>
    );
  }
  return <RequestView req={req} onChanged={(r) => q.setData(() => ({ deletionRequest: r }))} />;
}

function Back() {
  return (
    <p>
      <Link to="/privacy">← Back to privacy requests</Link>
    </p>
  );
}

function RequestView({ req, onChanged }: { req: DeletionRequestDetailFragment; onChanged: (r: DeletionRequestDetailFragment) => void }) {
  const approve = useMutation(ApproveDeletionRequestDocument);
  const reject = useMutation(RejectDeletionRequestDocument);
  const complete = useMutation(CompleteDeletionRequestDocument);
  const [status, setStatus] = useState('');
  const [rejecting, setRejecting] = useState(false);
  const [reason, setReason] = useState('');
  const [reasonError, setReasonError] = useState<string | undefined>();
  const [confirm, setConfirm] = useState(false);
  const actions = deletionActions(req.status);
  const label = requestUserLabel(req);
  const due = dueText(req);
  const created = typeof window !== 'undefined' && new URLSearchParams(window.location.search).has('created');

  async function doApprove() {
    const r = await approve.run({ input: { id: req.id } });
    if (r) {
      onChanged(r.approveDeletionRequest.deletionRequest);
      setStatus('Approved. It can now be completed.');
    }
  }

  async function doReject(e: FormEvent) {
    e.preventDefault();
    const err = validateRejectReason(reason);
    setReasonError(err);
    if (err) return;
    const r = await reject.run({ input: { id: req.id, reason: reason.trim() } });
    if (r) {
      onChanged(r.rejectDeletionRequest.deletionRequest);
      setRejecting(false);
      setStatus('Rejected.');
    }
  }

  async function doComplete() {
    const r = await complete.run({ input: { id: req.id } });
    setConfirm(false);
    if (r) {
      onChanged(r.completeDeletionRequest.deletionRequest);
      setStatus('Completed: the data is deleted.');
    }
  }

  const outcome = outcomeRows(req.outcome);
  return (
    <>
      <Back />
      <div className="title-row">
        <h1 tabIndex={-1}>Deletion request: {label}</h1>
        <DeletionStatusPill status={req.status} />
      </div>
      <p className="status" role="status" aria-live="polite">
        {status || (created ? 'Request created.' : '')}
      </p>
      <ErrorMessage error={approve.error ?? reject.error ?? complete.error} />

      <section className="panel" aria-labelledby="request-facts">
        <h2 id="request-facts">Request</h2>
        <dl className="facts inline">
          <dt>User</dt>
          <dd>{req.user ? <Link to={`/users/${encodeURIComponent(req.user.id)}`}>{req.user.externalId}</Link> : `${label} (deleted)`}</dd>
          <dt>User reference</dt>
          <dd>
            <code>{req.userRef ?? req.user?.id ?? '—'}</code>
          </dd>
          <dt>Requested by</dt>
          <dd>{requestedByLabel(req.requestedBy)}</dd>
          <dt>Created</dt>
          <dd>{formatDate(req.createdAt)}</dd>
          <dt>Due</dt>
          <dd className={req.overdue && due ? 'late' : undefined}>
            {formatDate(req.dueAt)}
            {due && ` · ${due}`}
          </dd>
          <dt>Decided</dt>
          <dd>{req.decidedAt ? `${formatDate(req.decidedAt)} by ${requestedByLabel(req.decidedBy)}` : '—'}</dd>
          {req.reason && (
            <>
              <dt>Reason</dt>
              <dd>{req.reason}</dd>
            </>
          )}
          <dt>Completed</dt>
          <dd>{formatDate(req.completedAt)}</dd>
        </dl>
        <div className="actions">
          {actions.approve && (
            <button type="button" onClick={doApprove} disabled={approve.pending}>
              {approve.pending ? 'Approving…' : 'Approve'}
            </button>
          )}
          {actions.reject && !rejecting && (
            <button type="button" className="danger" onClick={() => setRejecting(true)}>
              Reject…
            </button>
          )}
          {actions.complete && (
            <button type="button" className="danger" onClick={() => setConfirm(true)}>
              Complete deletion…
            </button>
          )}
          {req.user && req.status !== 'COMPLETED' && <ExportButton userId={req.user.id} label={req.user.externalId} />}
          <Link to={`/audit?targetId=${encodeURIComponent(req.id)}`}>Audit trail</Link>
        </div>
        {rejecting && (
          <form onSubmit={doReject} noValidate className="stack reject-form" aria-label="Reject the request">
            <TextAreaField
              label="Reason for rejecting"
              rows={3}
              value={reason}
              error={reasonError}
              hint="Required; recorded with the request and in the audit log."
              onChange={(e) => setReason(e.target.value)}
              autoFocus
            />
            <div className="actions">
              <button type="submit" className="danger" disabled={reject.pending}>
                {reject.pending ? 'Rejecting…' : 'Reject request'}
              </button>
              <button type="button" className="secondary" onClick={() => setRejecting(false)}>
                Cancel
              </button>
            </div>
          </form>
        )}
      </section>

      {req.status === 'COMPLETED' && (
        <section className="panel" aria-labelledby="outcome-title">
          <h2 id="outcome-title">Outcome</h2>
          {outcome.rows.length === 0 ? (
            <p>No row counts were recorded.</p>
          ) : (
            <table className="data compact outcome">
              <caption className="visually-hidden">Rows deleted per table</caption>
              <thead>
                <tr>
                  <th scope="col">Table</th>
                  <th scope="col" className="num">
                    Rows deleted
                  </th>
                </tr>
              </thead>
              <tbody>
                {outcome.rows.map((r) => (
                  <tr key={r.table} data-table={r.table}>
                    <th scope="row">
                      <code>{r.table}</code>
                    </th>
                    <td className="num">{formatNumber(r.count)}</td>
                  </tr>
                ))}
              </tbody>
              <tfoot>
                <tr>
                  <th scope="row">Total</th>
                  <td className="num">{formatNumber(outcome.total)}</td>
                </tr>
              </tfoot>
            </table>
          )}
        </section>
      )}

      <ConfirmDialog
        open={confirm}
        title="Complete this deletion?"
        confirmLabel="Delete permanently"
        pending={complete.pending}
        onCancel={() => setConfirm(false)}
        onConfirm={doComplete}
      >
        <p>
          This permanently deletes everything held about user {label}: their profile, ratings, events and recommendations, and removes
          them from the model. It cannot be undone.
        </p>
        {req.user && <p className="hint">Export the data first if it has to be handed over.</p>}
      </ConfirmDialog>
    </>
  );
}
