import { ErrorMessage } from '../components/ErrorMessage';
import { RecommendationCard, RecommendationList } from '../components/Recommendations';
import { UserPicker } from '../components/UserPicker';
import { PreviewHomeFeedDocument, PreviewRecommendationsDocument, type FeedRowKind } from '../gql/graphql';
import { useQuery } from '../lib/api';
import { can } from '../lib/roles';
import { Link, navigate, type Location } from '../lib/router';
import type { Session } from '../lib/session';

const ROW_KIND_LABELS: Readonly<Record<FeedRowKind, string>> = {
  COLLECTION: 'Collection',
  TOP_PICKS: 'Top picks',
  BECAUSE_YOU_WATCHED: 'Because you watched',
  TRENDING: 'Trending',
  POPULAR: 'Popular',
  DEMOGRAPHIC: 'Demographic',
  GENRE: 'Genre',
};

export function Preview({ session, location }: { session: Session; location: Location }) {
  const userId = location.query.get('user') ?? '';
  const feed = useQuery(PreviewHomeFeedDocument, { userId, rows: 8, itemsPerRow: 10 }, { skip: !userId });
  const recs = useQuery(PreviewRecommendationsDocument, { userId, first: 20 }, { skip: !userId });

  return (
    <>
      <h1 tabIndex={-1}>Preview</h1>
      <p className="hint">What a user would see right now, with every pin, collection, rule and diversity setting applied.</p>
      <UserPicker
        value={userId}
        showPersonas={can(session.role, 'users.view')}
        onChoose={(id) => navigate(`/preview?user=${encodeURIComponent(id)}`)}
      />
      {userId && (
        <>
          <section aria-labelledby="feed-title" aria-busy={feed.loading}>
            <div className="title-row">
              <h2 id="feed-title">Home feed</h2>
              {can(session.role, 'users.view') && <Link to={`/users/${encodeURIComponent(userId)}`}>Open this user</Link>}
              <button type="button" className="secondary small" onClick={() => (feed.reload(), recs.reload())}>
                Refresh
              </button>
            </div>
            <ErrorMessage error={feed.error} onRetry={feed.reload} />
            {feed.loading && !feed.data && <p>Loading…</p>}
            {feed.data && feed.data.previewHomeFeed.rows.length === 0 && <p>The feed is empty.</p>}
            {feed.data?.previewHomeFeed.rows.map((row, i) => (
              <section key={row.key} className="feed-row" data-row-key={row.key} data-row-kind={row.kind} aria-labelledby={`row-${i}`}>
                <h3 id={`row-${i}`}>
                  <span className="row-number">{i + 1}.</span> {row.title} <span className="badge">{ROW_KIND_LABELS[row.kind] ?? row.kind}</span>
                </h3>
                {row.items.length === 0 ? (
                  <p className="hint">No items.</p>
                ) : (
                  <ol className="row-items">
                    {row.items.map((it, j) => (
                      <li key={`${it.recommendationId}-${j}`}>
                        <RecommendationCard item={it} />
                      </li>
                    ))}
                  </ol>
                )}
              </section>
            ))}
          </section>

          <section aria-labelledby="recs-title" aria-busy={recs.loading}>
            <h2 id="recs-title">Recommendations</h2>
            <ErrorMessage error={recs.error} onRetry={recs.reload} />
            {recs.loading && !recs.data && <p>Loading…</p>}
            {recs.data && <RecommendationList items={recs.data.previewRecommendations} label="Recommendations" />}
          </section>
        </>
      )}
    </>
  );
}
