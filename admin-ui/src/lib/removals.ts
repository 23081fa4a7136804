// What a preview says curation left out, in words editors read (docs/security.md: editors are
// not told which titles a user watched).
import type { RemovalReason, RemovedItemFieldsFragment } from '../gql/graphql';

export const REMOVAL_LABELS: Readonly<Record<RemovalReason, string>> = {
  SHOWN_ELSEWHERE: 'Already in the feed',
  USER_HISTORY: 'Rated, watched or dismissed by this user',
  UNAVAILABLE: 'Unavailable or deleted',
  BLOCKED: 'Blocked by a rule',
};

/** Rows of the feed as the preview shows them: key, 1-based number and title. */
export interface RowRef {
  key: string;
  title: string;
}

/** The movie's name, or what stands in for it when the API withholds it. */
export function removedTitle(r: Pick<RemovedItemFieldsFragment, 'movie' | 'reason'>): string {
  if (r.movie) return `${r.movie.title}${r.movie.year ? ` (${r.movie.year})` : ''}`;
  return r.reason === 'USER_HISTORY' ? 'A title from their history (not shown to editors)' : 'A deleted title';
}

/** Why it was left out, in a sentence: names the row that already shows it when there is one. */
export function removalExplanation(r: Pick<RemovedItemFieldsFragment, 'reason' | 'rowKey' | 'rule'>, rows: readonly RowRef[]): string {
  switch (r.reason) {
    case 'SHOWN_ELSEWHERE': {
      const i = r.rowKey ? rows.findIndex((x) => x.key === r.rowKey) : -1;
      return i >= 0 ? `Already shown in row ${i + 1} (${rows[i]!.title}).` : 'Pinned into another row of the feed.';
    }
    case 'USER_HISTORY':
      return 'The user rated, finished, thumbed down or dismissed it: it is never shown to them again.';
    case 'UNAVAILABLE':
      return 'Unavailable in the catalogue (or deleted).';
    case 'BLOCKED':
      return r.rule ? 'A block rule in force matches it (see Pins & rules).' : 'A block rule matches it.';
  }
  return '';
}

/** "3 titles left out" / "1 title left out". */
export function removedSummary(count: number): string {
  return `${count} ${count === 1 ? 'title' : 'titles'} left out`;
}
