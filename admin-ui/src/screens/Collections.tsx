import { useEffect, useState } from 'react';
import { ErrorMessage } from '../components/ErrorMessage';
import { Pager } from '../components/Pager';
import { PerformanceTable, PeriodSelect, usePerformanceAccess, usePerformancePeriod } from '../components/Performance';
import { TableWrap } from '../components/TableWrap';
import { LivePill } from '../components/curation';
import { formatDate } from '../components/format';
import { CollectionPerformanceDocument, CollectionsDocument, type CollectionStatus } from '../gql/graphql';
import { useQuery } from '../lib/api';
import { STATUS_LABELS } from '../lib/collectionForm';
import { describeSchedule } from '../lib/dates';
import { joinPerformance } from '../lib/performance';
import { Link, navigate, type Location } from '../lib/router';

const PAGE_SIZE = 25;
const STATUSES = Object.keys(STATUS_LABELS) as CollectionStatus[];

export function StatusPill({ status }: { status: CollectionStatus }) {
  const cls = status === 'PUBLISHED' ? 'ok' : status === 'ARCHIVED' ? 'off' : 'draft';
  return (
    <span className={`pill ${cls}`} data-status={status}>
      {STATUS_LABELS[status]}
    </span>
  );
}

export function Collections({ location }: { location: Location }) {
  const raw = location.query.get('status');
  const status = STATUSES.includes(raw as CollectionStatus) ? (raw as CollectionStatus) : null;
  const [cursors, setCursors] = useState<Array<string | null>>([null]);
  useEffect(() => setCursors([null]), [status]);
  const after = cursors[cursors.length - 1] ?? null;
  const q = useQuery(CollectionsDocument, { first: PAGE_SIZE, after, status });
  const data = q.data?.collections;
  const showPerformance = usePerformanceAccess('collectionPerformance');
  const period = usePerformancePeriod();
  const perf = useQuery(CollectionPerformanceDocument, { from: period.from, to: period.to }, { skip: !showPerformance });
  const joined = joinPerformance(data?.nodes ?? [], (c) => c.id, perf.data?.collectionPerformance, 'collectionId');

  return (
    <>
      <div className="title-row">
        <h1 tabIndex={-1}>Collections</h1>
        <Link to="/collections/new" className="button">
          New collection
        </Link>
      </div>
      <form className="filters" aria-label="Filter collections" onSubmit={(e) => e.preventDefault()}>
        <div className="field">
          <label htmlFor="collection-status">Status</label>
          <select
            id="collection-status"
            value={status ?? ''}
            onChange={(e) => navigate(e.target.value ? `/collections?status=${e.target.value}` : '/collections')}
          >
            <option value="">All statuses</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {STATUS_LABELS[s]}
              </option>
            ))}
          </select>
        </div>
        {showPerformance && <PeriodSelect period={period} />}
      </form>
      <ErrorMessage error={q.error} onRetry={q.reload} />
      <TableWrap label="Collections" busy={q.loading}>
        <table className="data">
          <caption className="visually-hidden">Collections</caption>
          <thead>
            <tr>
              <th scope="col">Title</th>
              <th scope="col">Slug</th>
              <th scope="col">Status</th>
              <th scope="col">Schedule</th>
              <th scope="col">Audience</th>
              <th scope="col" className="num">
                Movies
              </th>
              <th scope="col">Updated</th>
            </tr>
          </thead>
          <tbody>
            {data?.nodes.map((c) => (
              <tr key={c.id} data-collection-slug={c.slug}>
                <th scope="row">
                  <Link to={`/collections/${encodeURIComponent(c.slug)}`}>{c.title}</Link>
                </th>
                <td>
                  <code>{c.slug}</code>
                </td>
                <td>
                  <StatusPill status={c.status} /> <LivePill live={c.live} />
                </td>
                <td>{describeSchedule(c.startsAt, c.endsAt)}</td>
                <td>{c.audience.description}</td>
                <td className="num">{c.movieCount}</td>
                <td>{formatDate(c.updatedAt)}</td>
              </tr>
            ))}
            {data && data.nodes.length === 0 && (
              <tr>
                <td colSpan={7}>{status ? `No ${STATUS_LABELS[status].toLowerCase()} collections.` : 'No collections yet.'}</td>
              </tr>
            )}
            {!data && q.loading && (
              <tr>
                <td colSpan={7}>Loading…</td>
              </tr>
            )}
          </tbody>
        </table>
      </TableWrap>
      {data && (
        <Pager
          label="Collection pages"
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
      {showPerformance && (
        <PerformanceTable
          title="Collection performance"
          itemHeader="Collection"
          rows={joined.rows}
          itemKey={(c) => c.id}
          renderItem={(c) => (
            <>
              <Link to={`/collections/${encodeURIComponent(c.slug)}`}>{c.title}</Link> <StatusPill status={c.status} />
            </>
          )}
          period={period}
          loading={perf.loading || (q.loading && !data)}
          error={perf.error}
          onRetry={perf.reload}
          unlisted={joined.unlisted}
          unlistedText={(n) => `${n} ${n === 1 ? 'collection' : 'collections'} on other pages${status ? ' or of another status' : ''} also had figures.`}
          emptyText={status ? `No ${STATUS_LABELS[status].toLowerCase()} collections.` : 'No collections yet.'}
        />
      )}
    </>
  );
}
