// The app shell (menu button, signing in again over a lapsed session) and the scrollable
// regions, rendered without a browser (react-dom/server).
import type React from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { App } from '../src/App';
import { RecommendationRow } from '../src/components/Recommendations';
import { TableWrap } from '../src/components/TableWrap';
import type { PreviewItemFragment } from '../src/gql/graphql';
import { ApiProvider } from '../src/lib/api';
import { SessionStore, type Session } from '../src/lib/session';
import { Staff } from '../src/screens/Staff';

const session = (over: Partial<Session> = {}): Session => ({
  token: 't',
  role: 'ADMIN',
  email: 'admin@example.test',
  expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
  ...over,
});

function render(node: React.ReactNode, setup: (store: SessionStore) => void): string {
  const store = new SessionStore(null);
  setup(store);
  try {
    return renderToStaticMarkup(<ApiProvider store={store}>{node}</ApiProvider>);
  } finally {
    store.dispose();
  }
}

describe('app shell', () => {
  it('has a menu button for narrow screens that controls the navigation and account', () => {
    const html = render(<App />, (s) => s.signIn(session()));
    expect(html).toMatch(/<button type="button" class="menu-button[^"]*" aria-expanded="false" aria-controls="main-menu">/);
    expect(html).toMatch(/<div id="main-menu" class="menu">\s*<nav aria-label="Main">/);
    expect(html.indexOf('Sign out')).toBeGreaterThan(html.indexOf('id="main-menu"'));
    // The "Leave this page?" dialog is mounted, closed.
    expect(html).toContain('Leave this page?');
    expect(html).not.toContain('Sign in again to continue');
  });

  it('keeps the screen when the session lapses, under a dialog asking the same account to sign in again', () => {
    const html = render(<App />, (s) => {
      s.signIn(session());
      s.expire();
    });
    expect(html).toContain('<h1 tabindex="-1">Dashboard</h1>');
    expect(html).not.toContain('Marquee admin — sign in');
    expect(html).toMatch(/<dialog class="reauth" aria-labelledby="([^"]+)" aria-describedby="[^"]+"><h2 id="\1">Sign in again to continue<\/h2>/);
    expect(html).toContain('Your session expired.');
    // The email is fixed (the same account signs in again); password managers still see it.
    expect(html).toMatch(/<input [^>]*type="email" autoComplete="username" readOnly=""[^>]*value="admin@example.test"\/>/);
    expect(html).toMatch(/<input [^>]*type="password" autoComplete="current-password"/);
    expect(html).toContain('<button type="submit">Sign in</button><button type="button" class="secondary">Sign out</button>');
  });

  it('shows the sign-in page after a sign-out, and after a reload of an expired session', () => {
    const html = render(<App />, (s) => {
      s.signIn(session());
      s.expire();
      s.signOut();
    });
    expect(html).toContain('Marquee admin — sign in');
    expect(html).not.toContain('Sign in again to continue');
  });
});

describe('scrollable regions', () => {
  const item = (id: string, title: string): PreviewItemFragment =>
    ({
      recommendationId: id,
      score: 1,
      source: 'MODEL',
      reason: { kind: 'POPULAR', text: 'Popular now', evidence: [] },
      movie: { id, title, year: 1995, genres: [] },
    }) as unknown as PreviewItemFragment;

  it('a feed row is a focusable, named region', () => {
    const html = renderToStaticMarkup(<RecommendationRow items={[item('1', 'Heat'), item('2', 'Ronin')]} label="Top picks" />);
    expect(html).toMatch(/^<div class="row-scroll" role="region" aria-label="Top picks" tabindex="0"><ol class="row-items">/);
    expect(html).toContain('Ronin');
    expect(renderToStaticMarkup(<RecommendationRow items={[]} label="Empty" />)).toBe('<p class="hint">No items.</p>');
  });

  it('a table’s scroll container is a focusable, named region', () => {
    expect(renderToStaticMarkup(<TableWrap label="Movies" busy>x</TableWrap>)).toBe(
      '<div class="table-wrap" role="region" aria-label="Movies" tabindex="0" aria-busy="true">x</div>',
    );
    const staff = render(<Staff session={session()} />, (s) => s.signIn(session()));
    expect(staff).toContain('role="region" aria-label="Staff accounts" tabindex="0"');
  });
});
