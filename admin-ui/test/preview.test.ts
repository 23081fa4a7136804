import { describe, expect, it } from 'vitest';
import { removalExplanation, removedSummary, removedTitle } from '../src/lib/removals';
import { userRefFromQuery, userRefQuery, userRefVariables } from '../src/lib/userRef';

describe('the previewed user', () => {
  it('is named by external id or opaque id in the URL and the query', () => {
    expect(userRefFromQuery(new URLSearchParams('external=demo-0004'))).toEqual({ kind: 'external', value: 'demo-0004' });
    expect(userRefFromQuery(new URLSearchParams('user=VXNlcjo0&external=x'))).toEqual({ kind: 'id', value: 'VXNlcjo0' });
    expect(userRefFromQuery(new URLSearchParams('external=%20%20'))).toBeNull();
    expect(userRefFromQuery(new URLSearchParams(''))).toBeNull();
    expect(userRefQuery({ kind: 'external', value: 'a b&c' })).toBe('external=a%20b%26c');
    expect(userRefQuery({ kind: 'id', value: 'VXNlcjo0' })).toBe('user=VXNlcjo0');
    // What a query string names comes back the same.
    const ref = { kind: 'external' as const, value: 'ext/ü?' };
    expect(userRefFromQuery(new URLSearchParams(userRefQuery(ref)))).toEqual(ref);
    expect(userRefVariables({ kind: 'external', value: 'demo-0004' })).toEqual({ externalId: 'demo-0004' });
    expect(userRefVariables({ kind: 'id', value: 'VXNlcjo0' })).toEqual({ userId: 'VXNlcjo0' });
  });
});

describe('what a preview left out', () => {
  const rows = [
    { key: 'top-picks', title: 'Top picks for you' },
    { key: 'collection:noir', title: 'Noir Week' },
  ];
  const movie = { id: 'm1', title: 'Heat', year: 1995 };

  it('names the row that already shows a title, or says a pin took it', () => {
    expect(removalExplanation({ reason: 'SHOWN_ELSEWHERE', rowKey: 'top-picks', rule: null }, rows)).toBe('Already shown in row 1 (Top picks for you).');
    expect(removalExplanation({ reason: 'SHOWN_ELSEWHERE', rowKey: null, rule: null }, rows)).toBe('Pinned into another row of the feed.');
    expect(removalExplanation({ reason: 'SHOWN_ELSEWHERE', rowKey: 'gone', rule: null }, rows)).toBe('Pinned into another row of the feed.');
    expect(removalExplanation({ reason: 'BLOCKED', rowKey: null, rule: { id: 'r1', kind: 'BLOCK' } }, rows)).toContain('block rule');
  });

  it('does not invent a title the API withholds', () => {
    expect(removedTitle({ reason: 'BLOCKED', movie })).toBe('Heat (1995)');
    expect(removedTitle({ reason: 'USER_HISTORY', movie: null })).toBe('A title from their history (not shown to editors)');
    expect(removedTitle({ reason: 'UNAVAILABLE', movie: null })).toBe('A deleted title');
  });

  it('counts in words', () => {
    expect(removedSummary(1)).toBe('1 title left out');
    expect(removedSummary(3)).toBe('3 titles left out');
  });
});
