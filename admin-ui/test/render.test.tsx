// Renders the app without a browser (react-dom/server) to check what each role is shown.
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { App } from '../src/App';
import type { StaffRole } from '../src/gql/graphql';
import { ApiProvider } from '../src/lib/api';
import { SessionStore } from '../src/lib/session';

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
    expect(navLabels(html)).toEqual(['Dashboard', 'Catalogue', 'Users']);
    expect(html).toContain('Model versions and training');
    expect(html).toContain('Sign out');
  });

  it('editor: no Users, no model panel', () => {
    const html = render('EDITOR');
    expect(navLabels(html)).toEqual(['Dashboard', 'Catalogue']);
    expect(html).not.toContain('Model versions and training');
  });

  it('compliance: Users, no Catalogue', () => {
    expect(navLabels(render('COMPLIANCE'))).toEqual(['Dashboard', 'Users']);
  });
});
