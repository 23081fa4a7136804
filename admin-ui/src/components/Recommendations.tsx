import type { PreviewItemFragment, RecommendationSource } from '../gql/graphql';

export const SOURCE_LABELS: Readonly<Record<RecommendationSource, string>> = {
  MODEL: 'Model',
  CONTENT: 'Content',
  POPULAR: 'Popular',
  TRENDING: 'Trending',
  DEMOGRAPHIC: 'Demographic',
  PINNED: 'Pinned',
  COLLECTION: 'Collection',
  BOOSTED: 'Boosted',
};

export function SourceBadge({ source }: { source: RecommendationSource }) {
  return (
    <span className={`source source-${source.toLowerCase()}`} data-source={source}>
      {SOURCE_LABELS[source] ?? source}
    </span>
  );
}

/** One recommended movie: title, year, genres, source, the reason and its evidence. */
export function RecommendationCard({ item, rank }: { item: PreviewItemFragment; rank?: number }) {
  const { movie, reason } = item;
  return (
    <article className="rec" data-movie-id={movie.id}>
      <header>
        {rank !== undefined && <span className="rank">{rank}.</span>}
        <strong className="rec-title">{movie.title}</strong>
        {movie.year ? <span className="year"> ({movie.year})</span> : null} <SourceBadge source={item.source} />
      </header>
      {movie.genres.length > 0 && <p className="genres">{movie.genres.map((g) => g.name).join(' · ')}</p>}
      <p className="reason" data-reason={reason.kind}>
        {reason.text}
      </p>
      {reason.evidence.length > 0 && (
        <p className="evidence">
          Evidence: {reason.evidence.map((e) => `${e.title}${e.year ? ` (${e.year})` : ''}`).join(', ')}
        </p>
      )}
    </article>
  );
}

/**
 * One horizontally scrolling row of cards (a home-feed row). The row scrolls sideways, so it is
 * a focusable, named region: keyboard users reach it with Tab and scroll it with the arrow keys
 * (axe `scrollable-region-focusable`). `label` names it, e.g. the row's title.
 */
export function RecommendationRow({ items, label }: { items: readonly PreviewItemFragment[]; label: string }) {
  if (items.length === 0) return <p className="hint">No items.</p>;
  return (
    <div className="row-scroll" role="region" aria-label={label} tabIndex={0}>
      <ol className="row-items">
        {items.map((it, j) => (
          <li key={`${it.recommendationId}-${j}`}>
            <RecommendationCard item={it} />
          </li>
        ))}
      </ol>
    </div>
  );
}

export function RecommendationList({ items, label }: { items: readonly PreviewItemFragment[]; label: string }) {
  if (items.length === 0) return <p>No recommendations.</p>;
  return (
    <ol className="rec-list" aria-label={label}>
      {items.map((it, i) => (
        <li key={`${it.recommendationId}-${i}`}>
          <RecommendationCard item={it} rank={i + 1} />
        </li>
      ))}
    </ol>
  );
}
