// Compile-time checks (run by `npm run typecheck`): operations are typed end to end.
import { describe, expect, it } from 'vitest';
import {
  CreatePlacementDocument,
  DashboardDocument,
  MoviesDocument,
  PlacementsDocument,
  SetMovieAvailabilityDocument,
  type MoviesQuery,
} from '../src/gql/graphql';
import type { GraphQLClient } from '../src/lib/client';

export async function typeChecks(client: GraphQLClient) {
  // No required variables: they may be left out.
  const d = await client.request(DashboardDocument);
  const movies: number = d.catalogueStats.movies;
  // @ts-expect-error — `first` is required by the Movies operation.
  await client.request(MoviesDocument, {});
  // @ts-expect-error — wrong variable type.
  await client.request(SetMovieAvailabilityDocument, { input: { id: 'x', available: 'yes' } });
  // @ts-expect-error — mutations take one `input` argument, not loose ones.
  await client.request(SetMovieAvailabilityDocument, { id: 'x', available: true });
  // @ts-expect-error — a placement pins a movie or a collection (@oneOf), not both.
  await client.request(CreatePlacementDocument, { input: { surface: { kind: 'HOME' }, position: 1, target: { movieId: 'm', collectionId: 'c' } } });
  // @ts-expect-error — not a SurfaceKind value.
  await client.request(PlacementsDocument, { surface: { kind: 'SIDEBAR' } });
  const m: MoviesQuery = await client.request(MoviesDocument, { first: 5, filter: { search: 'x' }, orderBy: 'TITLE_ASC' });
  // @ts-expect-error — not a MovieOrderBy value.
  await client.request(MoviesDocument, { first: 5, orderBy: 'RANDOM' });
  // @ts-expect-error — the operation does not select `overview`.
  void m.movies.nodes[0]?.overview;
  return movies;
}

describe('typed operations', () => {
  it('compile-time checks live in this file (see npm run typecheck)', () => {
    expect(typeof typeChecks).toBe('function');
  });
});
