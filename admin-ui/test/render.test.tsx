// Renders the app without a browser (react-dom/server) to check what each role is shown.
import type React from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { App } from '../src/App';
import type { StaffRole } from '../src/gql/graphql';
import { ApiProvider } from '../src/lib/api';
import { SessionStore } from '../src/lib/session';
import { AuditLog } from '../src/screens/AuditLog';
import { CollectionEditor } from '../src/screens/CollectionEditor';
import { Collections } from '../src/screens/Collections';
import { Diversity } from '../src/screens/Diversity';
import { Pins } from '../src/screens/Pins';
import { Preview } from '../src/screens/Preview';
import { Privacy } from '../src/screens/Privacy';
import { Staff } from '../src/screens/Staff';

function render(role: StaffRole | null): string {
  const store = new SessionStore(null);
  if (role) store.signIn({ token: 't', role, email: 'x@example.test', expiresAt: new Date(Date.now() + 3_600_000).toISOString() });
  try {
    return renderToStaticMarkup(
      <ApiProvider store={store}>
        <App />
      </ApiProvider>,
    );
  } finally {
    store.dispose();
  }
}

const navLabels = (html: string) => {
  const nav = /<nav aria-label="Main">(.*?)<\/nav>/s.exec(html)?.[1] ?? '';
  return [...nav.matchAll(/<a [^>]*>([^<]*)<\/a>/g)].map((m) => m[1]);
};

describe('rendered app', () => {
  it('signed out: a sign-in form with labelled inputs', () => {
    const html = render(null);
    expect(html).toContain('<h1 id="sign-in-title">Marquee admin — sign in</h1>');
    for (const name of ['email', 'password']) {
      const id = new RegExp(`<input id="([^"]+)"[^>]*name="${name}"`).exec(html)?.[1];
      expect(id, name).toBeTruthy();
      expect(html).toContain(`<label for="${id}">`);
    }
    expect(html).toContain('<button type="submit">Sign in</button>');
  });

  it('admin: every screen and the model panel', () => {
    const html = render('ADMIN');
    expect(navLabels(html)).toEqual(['Dashboard', 'Catalogue', 'Collections', 'Pins &amp; rules', 'Diversity', 'Preview', 'Users', 'Privacy', 'Audit log', 'Staff']);
    expect(html).toContain('Model versions');
    expect(html).toContain('Activity, last 30 days');
    expect(html).toContain('API requests');
    expect(html).toContain('Sign out');
  });

  it('editor: no Users, no model panel', () => {
    const html = render('EDITOR');
    expect(navLabels(html)).toEqual(['Dashboard', 'Catalogue', 'Collections', 'Pins &amp; rules', 'Diversity', 'Preview']);
    expect(html).not.toContain('Model versions');
    expect(html).toContain('Activity, last 30 days');
  });

  it('compliance: Users, no Catalogue', () => {
    expect(navLabels(render('COMPLIANCE'))).toEqual(['Dashboard', 'Users', 'Privacy', 'Audit log']);
  });
});

describe('new screens render (before their data arrives)', () => {
  const session = { token: 't', role: 'ADMIN' as const, email: 'admin@example.test', expiresAt: new Date(Date.now() + 3_600_000).toISOString() };
  const at = (path: string, query = '') => ({ path, query: new URLSearchParams(query) });
  const renderScreen = (node: React.ReactNode) => {
    const store = new SessionStore(null);
    store.signIn(session);
    try {
      return renderToStaticMarkup(<ApiProvider store={store}>{node}</ApiProvider>);
    } finally {
      store.dispose();
    }
  };

  it('shows each screen’s heading and main controls', () => {
    expect(renderScreen(<Collections location={at('/collections', 'status=DRAFT')} />)).toMatch(/<h1[^>]*>Collections<\/h1>[\s\S]*<option value="DRAFT" selected="">Draft<\/option>/);
    const editor = renderScreen(<CollectionEditor slug={null} />);
    expect(editor).toContain('New collection');
    expect(editor).toContain('Create collection');
    expect(editor).toContain('Shown to: <strong>Everyone</strong>');
    const pins = renderScreen(<Pins location={at('/pins')} />);
    expect(pins).toContain('Add a pin');
    expect(pins).toContain('Add rule');
    expect(pins).toContain('<option value="HOME" selected="">Home</option>');
    expect(renderScreen(<Diversity session={session} location={at('/diversity')} />)).toContain('Live preview');
    expect(renderScreen(<Preview session={session} location={at('/preview')} />)).toContain('Show preview');
    expect(renderScreen(<Privacy location={at('/privacy')} />)).toContain('New request on behalf of a user');
    expect(renderScreen(<AuditLog location={at('/audit', 'actor=STAFF')} />)).toContain('<option value="STAFF" selected="">Staff</option>');
    expect(renderScreen(<Staff session={session} />)).toContain('At least 10 characters.');
  });
});
