import { ErrorMessage } from '../components/ErrorMessage';
import { formatDate } from '../components/format';
import { ExperimentsDocument, type ExperimentStatus } from '../gql/graphql';
import { useQuery } from '../lib/api';
import { SURFACE_NAMES } from '../lib/experimentForm';
import { controlNote, describeVariantRanking, EXPERIMENT_STATUS_LABELS, EXPERIMENT_STATUSES, formatShare, isExperimentStatus } from '../lib/experiments';
import { Link, navigate, type Location } from '../lib/router';

export function ExperimentStatusPill({ status }: { status: ExperimentStatus }) {
  const cls = status === 'RUNNING' ? 'ok' : status === 'STOPPED' ? 'muted' : 'draft';
  return (
    <span className={`pill ${cls}`} data-status={status}>
      {EXPERIMENT_STATUS_LABELS[status]}
    </span>
  );
}

export function Experiments({ location }: { location: Location }) {
  const raw = location.query.get('status');
  const status = isExperimentStatus(raw) ? raw : null;
  const q = useQuery(ExperimentsDocument, { status });
  const list = q.data?.experiments;

  return (
    <>
      <div className="title-row">
        <h1 tabIndex={-1}>Experiments</h1>
        <Link to="/experiments/new" className="button">
          New experiment
        </Link>
      </div>
      <p className="hint">
        A/B tests of serving configurations on the home feed or the recommendations list. The first variant is the control the others are compared with.
      </p>
      <form className="filters" aria-label="Filter experiments" onSubmit={(e) => e.preventDefault()}>
        <div className="field">
          <label htmlFor="experiment-status">Status</label>
          <select
            id="experiment-status"
            value={status ?? ''}
            onChange={(e) => navigate(e.target.value ? `/experiments?status=${e.target.value}` : '/experiments')}
          >
            <option value="">All statuses</option>
            {EXPERIMENT_STATUSES.map((s) => (
              <option key={s} value={s}>
                {EXPERIMENT_STATUS_LABELS[s]}
              </option>
            ))}
          </select>
        </div>
      </form>
      <ErrorMessage error={q.error} onRetry={q.reload} />
      <div className="table-wrap" aria-busy={q.loading}>
        <table className="data experiments">
          <caption className="visually-hidden">Experiments, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Surface</th>
              <th scope="col">Status</th>
              <th scope="col">Variants</th>
              <th scope="col">Started</th>
              <th scope="col">Stopped</th>
              <th scope="col">Stop reason</th>
              <th scope="col">Shipped</th>
            </tr>
          </thead>
          <tbody>
            {list?.map((e) => (
              <tr key={e.id} data-experiment-id={e.id}>
                <th scope="row">
                  <Link to={`/experiments/${encodeURIComponent(e.id)}`}>{e.name}</Link>
                </th>
                <td>{SURFACE_NAMES[e.surface]}</td>
                <td>
                  <ExperimentStatusPill status={e.status} />
                </td>
                <td>
                  <ul className="plain-list">
                    {e.variants.map((v, i) => (
                      <li key={v.name}>
                        {v.name} <span className="num-inline">{formatShare(v.share)}</span>
                        {controlNote(v.name, i) && <span className="hint">{controlNote(v.name, i)}</span>}
                        {!v.curation && <span className="pill muted">curation off</span>}
                        {describeVariantRanking(v) && <span className="hint"> · {describeVariantRanking(v)}</span>}
                      </li>
                    ))}
                  </ul>
                </td>
                <td>{formatDate(e.startedAt)}</td>
                <td>{formatDate(e.stoppedAt)}</td>
                <td>{e.stopReason ?? '—'}</td>
                <td>{e.shippedVariant ?? '—'}</td>
              </tr>
            ))}
            {list && list.length === 0 && (
              <tr>
                <td colSpan={8}>{status ? `No ${EXPERIMENT_STATUS_LABELS[status].toLowerCase()} experiments.` : 'No experiments yet.'}</td>
              </tr>
            )}
            {!list && q.loading && (
              <tr>
                <td colSpan={8}>Loading…</td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
    </>
  );
}
