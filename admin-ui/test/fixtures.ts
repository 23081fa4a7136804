// Typed operations for tests: the console's own, plus a minimal one.
import type { Operation } from '../src/lib/client';
export { LoginDocument } from '../src/gql/graphql';

export const CatalogueStatsDocumentForTest = '{ catalogueStats { movies } }' as unknown as Operation<
  { catalogueStats: { movies: number } },
  Record<string, never>
>;
