import { useEffect, useState } from 'react';
import { ErrorMessage } from '../components/ErrorMessage';
import { TableWrap } from '../components/TableWrap';
import { formatDate, formatNumber } from '../components/format';
import { ExportUserDataDocument, RequestDataDeletionDocument, UserDetailDocument, type UserDetailQuery } from '../gql/graphql';
import { useClient, useMutation, useQuery } from '../lib/api';
import { ageBandLabel, genderLabel } from '../lib/audience';
import { downloadJson } from '../lib/download';
import { exportFileName } from '../lib/privacy';
import { can } from '../lib/roles';
import { Link, navigate } from '../lib/router';
import { hasFields } from '../lib/schema';
import type { Session } from '../lib/session';

type Rating = NonNullable<UserDetailQuery['user']>['ratings']['nodes'][number];
const RATINGS_PAGE = 50;

const EVENT_LABELS: Record<string, string> = {
  CLICK: 'Opened',
  IMPRESSION: 'Shown',
  NOT_INTERESTED: 'Not interested',
  THUMBS_DOWN: 'Thumbs down',
  THUMBS_UP: 'Thumbs up',
  VIEW_COMPLETE: 'Finished watching',
  VIEW_PROGRESS: 'Watching',
  VIEW_START: 'Started watching',
};

export function UserDetail({ id, session }: { id: string; session: Session }) {
  const client = useClient();
  const q = useQuery(UserDetailDocument, { id, ratingsFirst: RATINGS_PAGE, ratingsAfter: null, eventsFirst: 20 });
  const user = q.data?.user;
  const [more, setMore] = useState<{ nodes: Rating[]; endCursor: string | null; hasNext: boolean } | null>(null);
  const [moreError, setMoreError] = useState<unknown>(undefined);
  const [loadingMore, setLoadingMore] = useState(false);
  useEffect(() => setMore(null), [id]);

  useEffect(() => {
    if (user) document.title = `User ${user.externalId} · Marquee admin`;
  }, [user]);

  if (q.error) {
    return (
      <>
        <Back />
        <h1 tabIndex={-1}>User</h1>
        <ErrorMessage error={q.error} onRetry={q.reload} />
      </>
    );
  }
  if (!q.data) return <p aria-busy="true">Loading…</p>;
  if (!user) {
    return (
      <>
        <Back />
        <h1 tabIndex={-1}>User not found</h1>
      </>
    );
  }

  const ratings = [...user.ratings.nodes, ...(more?.nodes ?? [])];
  const hasNext = more ? more.hasNext : user.ratings.pageInfo.hasNextPage;
  const cursor = more ? more.endCursor : user.ratings.pageInfo.endCursor;

  async function loadMore() {
    setLoadingMore(true);
    setMoreError(undefined);
    try {
      const r = await client.request(UserDetailDocument, { id, ratingsFirst: RATINGS_PAGE, ratingsAfter: cursor, eventsFirst: 1 });
      const page = r.user?.ratings;
      if (page) {
        setMore((m) => ({
          nodes: [...(m?.nodes ?? []), ...page.nodes],
          endCursor: page.pageInfo.endCursor,
          hasNext: page.pageInfo.hasNextPage,
        }));
      }
    } catch (e) {
      setMoreError(e);
    } finally {
      setLoadingMore(false);
    }
  }

  return (
    <>
      <Back />
      <h1 tabIndex={-1}>User {user.externalId}</h1>
      <section className="panel" aria-labelledby="profile-title">
        <h2 id="profile-title">Profile</h2>
        <dl className="facts inline">
          <dt>Id</dt>
          <dd>
            <code>{user.id}</code>
          </dd>
          <dt>External id</dt>
          <dd>{user.externalId}</dd>
          <dt>Display name</dt>
          <dd>{user.displayName ?? '—'}</dd>
          <dt>Country</dt>
          <dd>{user.country ?? '—'}</dd>
          <dt>Age band</dt>
          <dd>{ageBandLabel(user.ageBand)}</dd>
          <dt>Gender</dt>
          <dd>{genderLabel(user.gender)}</dd>
          <dt>Occupation</dt>
          <dd>{user.occupation ?? '—'}</dd>
          <dt>Personalisation consent</dt>
          <dd>{user.personalizationConsent ? 'Yes' : 'No'}</dd>
          <dt>First seen</dt>
          <dd>{formatDate(user.createdAt)}</dd>
        </dl>
      </section>

      {can(session.role, 'privacy') && hasFields({ query: ['exportUserData'], mutation: ['requestDataDeletion'] }) && (
        <PrivacyActions userId={user.id} label={user.externalId} />
      )}

      <section aria-labelledby="ratings-title">
        <h2 id="ratings-title">Ratings ({formatNumber(user.ratings.totalCount)})</h2>
        <TableWrap label="Ratings">
          <table className="data">
            <thead>
              <tr>
                <th scope="col">Movie</th>
                <th scope="col" className="num">
                  Score
                </th>
                <th scope="col">Rated</th>
                <th scope="col">Last changed</th>
              </tr>
            </thead>
            <tbody>
              {ratings.map((r) => (
                <tr key={r.id}>
                  <th scope="row">
                    {r.movie.title}
                    {r.movie.year ? ` (${r.movie.year})` : ''}
                  </th>
                  <td className="num">{r.score.toFixed(1)}</td>
                  <td>{formatDate(r.createdAt)}</td>
                  <td>{formatDate(r.updatedAt)}</td>
                </tr>
              ))}
              {ratings.length === 0 && (
                <tr>
                  <td colSpan={4}>No ratings.</td>
                </tr>
              )}
            </tbody>
          </table>
        </TableWrap>
        <ErrorMessage error={moreError} />
        {hasNext && (
          <button type="button" className="secondary" onClick={loadMore} disabled={loadingMore}>
            {loadingMore ? 'Loading…' : `Show more ratings (${ratings.length} of ${user.ratings.totalCount} shown)`}
          </button>
        )}
      </section>

      <section aria-labelledby="events-title">
        <h2 id="events-title">Recent activity</h2>
        <TableWrap label="Recent activity">
          <table className="data">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">What</th>
                <th scope="col">Movie</th>
                <th scope="col">Progress</th>
                <th scope="col">From recommendation</th>
              </tr>
            </thead>
            <tbody>
              {user.recentEvents.map((e) => (
                <tr key={e.id}>
                  <td>{formatDate(e.occurredAt)}</td>
                  <td>{EVENT_LABELS[e.kind] ?? e.kind}</td>
                  <td>{e.movie.title}</td>
                  <td>{e.progress == null ? '—' : `${Math.round(e.progress * 100)}%`}</td>
                  <td>{e.recommendationId ? 'Yes' : 'No'}</td>
                </tr>
              ))}
              {user.recentEvents.length === 0 && (
                <tr>
                  <td colSpan={5}>No recorded events.</td>
                </tr>
              )}
            </tbody>
          </table>
        </TableWrap>
      </section>
    </>
  );
}

function Back() {
  return (
    <p>
      <Link to="/users">← Back to users</Link>
    </p>
  );
}

/** Downloads everything held about a user as a JSON file (exportUserData). */
export function ExportButton({ userId, label }: { userId: string; label: string }) {
  const client = useClient();
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const [done, setDone] = useState('');
  async function run() {
    setPending(true);
    setError(undefined);
    setDone('');
    try {
      const r = await client.request(ExportUserDataDocument, { userId });
      const name = exportFileName(label);
      downloadJson(name, r.exportUserData);
      setDone(`Saved ${name}.`);
    } catch (e) {
      setError(e);
    } finally {
      setPending(false);
    }
  }
  return (
    <span className="export">
      <button type="button" className="secondary" onClick={run} disabled={pending}>
        {pending ? 'Exporting…' : 'Export data (JSON)'}
      </button>
      <span className="hint" role="status" aria-live="polite">
        {done}
      </span>
      <ErrorMessage error={error} />
    </span>
  );
}

function PrivacyActions({ userId, label }: { userId: string; label: string }) {
  const request = useMutation(RequestDataDeletionDocument);
  async function requestDeletion() {
    const r = await request.run({ input: { userId } });
    if (r) navigate(`/privacy/${encodeURIComponent(r.requestDataDeletion.deletionRequest.id)}?created=1`);
  }
  return (
    <section className="panel" aria-labelledby="privacy-title">
      <h2 id="privacy-title">Privacy</h2>
      <div className="actions">
        <ExportButton userId={userId} label={label} />
        <button type="button" className="danger" onClick={requestDeletion} disabled={request.pending}>
          {request.pending ? 'Creating…' : 'Request deletion'}
        </button>
      </div>
      <p className="hint">A deletion request is reviewed in Privacy before anything is deleted.</p>
      <ErrorMessage error={request.error} />
    </section>
  );
}
