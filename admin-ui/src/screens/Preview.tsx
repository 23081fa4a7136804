import { ErrorMessage } from '../components/ErrorMessage';
import { RecommendationCard, RecommendationList } from '../components/Recommendations';
import { UserPicker } from '../components/UserPicker';
import {
  PreviewHomeFeedDocument,
  PreviewRecommendationsDocument,
  PreviewRemovedDocument,
  type FeedRowKind,
  type RemovedItemFieldsFragment,
} from '../gql/graphql';
import { useQuery } from '../lib/api';
import { REMOVAL_LABELS, removalExplanation, removedSummary, removedTitle, type RowRef } from '../lib/removals';
import { can } from '../lib/roles';
import { Link, navigate, type Location } from '../lib/router';
import type { Session } from '../lib/session';
import { userRefFromQuery, userRefQuery, userRefVariables } from '../lib/userRef';

const ROW_KIND_LABELS: Readonly<Record<FeedRowKind, string>> = {
  COLLECTION: 'Collection',
  TOP_PICKS: 'Top picks',
  BECAUSE_YOU_WATCHED: 'Because you watched',
  TRENDING: 'Trending',
  POPULAR: 'Popular',
  DEMOGRAPHIC: 'Demographic',
  GENRE: 'Genre',
};

const RECOMMENDATIONS = 20;

export function Preview({ session, location }: { session: Session; location: Location }) {
  const user = userRefFromQuery(location.query);
  const who = user ? userRefVariables(user) : {};
  const feed = useQuery(PreviewHomeFeedDocument, { ...who, rows: 8, itemsPerRow: 10 }, { skip: !user });
  const recs = useQuery(PreviewRecommendationsDocument, { ...who, first: RECOMMENDATIONS }, { skip: !user });
  const removed = useQuery(PreviewRemovedDocument, { ...who, first: RECOMMENDATIONS }, { skip: !user });
  const rows = feed.data?.previewHomeFeed.rows ?? [];
  const rowRefs: RowRef[] = rows.map((r) => ({ key: r.key, title: r.title }));
  const asked = recs.data?.previewRecommendations.length;

  return (
    <>
      <h1 tabIndex={-1}>Preview</h1>
      <p className="hint">What a user would see right now, with every pin, collection, rule and diversity setting applied, and what curation left out.</p>
      <UserPicker value={user} showPersonas={can(session.role, 'users.view')} onChoose={(u) => navigate(`/preview?${userRefQuery(u)}`)} />
      {user && (
        <>
          <section aria-labelledby="feed-title" aria-busy={feed.loading}>
            <div className="title-row">
              <h2 id="feed-title">Home feed</h2>
              {can(session.role, 'users.view') && user.kind === 'id' && <Link to={`/users/${encodeURIComponent(user.value)}`}>Open this user</Link>}
              <button type="button" className="secondary small" onClick={() => (feed.reload(), recs.reload(), removed.reload())}>
                Refresh
              </button>
            </div>
            <ErrorMessage error={feed.error} onRetry={feed.reload} />
            {feed.loading && !feed.data && <p>Loading…</p>}
            {feed.data && rows.length === 0 && <p>The feed is empty.</p>}
            {rows.map((row, i) => (
              <section key={row.key} className="feed-row" data-row-key={row.key} data-row-kind={row.kind} aria-labelledby={`row-${i}`}>
                <h3 id={`row-${i}`}>
                  <span className="row-number">{i + 1}.</span> {row.title} <span className="badge">{ROW_KIND_LABELS[row.kind] ?? row.kind}</span>
                </h3>
                {row.items.length === 0 ? (
                  <p className="hint">No items.</p>
                ) : (
                  // Scrolls sideways: focusable so that keyboard users can scroll it too.
                  <ol className="row-items" tabIndex={0} aria-label={`${row.title}: ${row.items.length} titles`}>
                    {row.items.map((it, j) => (
                      <li key={`${it.recommendationId}-${j}`}>
                        <RecommendationCard item={it} />
                      </li>
                    ))}
                  </ol>
                )}
                <Removed items={row.removed} rows={rowRefs} />
              </section>
            ))}
          </section>

          <section aria-labelledby="recs-title" aria-busy={recs.loading}>
            <h2 id="recs-title">Recommendations</h2>
            <ErrorMessage error={recs.error} onRetry={recs.reload} />
            {recs.loading && !recs.data && <p>Loading…</p>}
            {asked !== undefined && asked < RECOMMENDATIONS && (
              <p className="hint" data-short-list>
                {asked} of {RECOMMENDATIONS} asked: no other title is eligible for this user under the surface's rules and diversity settings.
              </p>
            )}
            {recs.data && <RecommendationList items={recs.data.previewRecommendations} label="Recommendations" />}
            <ErrorMessage error={removed.error} onRetry={removed.reload} />
            {removed.data && <Removed items={removed.data.previewRemoved} rows={rowRefs} title="Left out by curation" open />}
          </section>
        </>
      )}
    </>
  );
}

/** What a list or row left out, and why; nothing when it left nothing out. */
function Removed({
  items,
  rows,
  title,
  open = false,
}: {
  items: readonly RemovedItemFieldsFragment[];
  rows: readonly RowRef[];
  title?: string;
  open?: boolean;
}) {
  if (items.length === 0) return null;
  return (
    <details className="removed" open={open} data-removed={items.length}>
      <summary>{title ? `${title}: ${removedSummary(items.length)}` : removedSummary(items.length)}</summary>
      <ul>
        {items.map((r, i) => (
          <li key={`${r.movie?.id ?? 'hidden'}-${i}`} data-reason={r.reason}>
            <strong>{removedTitle(r)}</strong> <span className="badge">{REMOVAL_LABELS[r.reason] ?? r.reason}</span>{' '}
            <span className="hint">{removalExplanation(r, rows)}</span>
          </li>
        ))}
      </ul>
    </details>
  );
}
