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
import { ExperimentView } from '../src/screens/ExperimentDetail';
import { Experiments } from '../src/screens/Experiments';
import { NewExperiment } from '../src/screens/NewExperiment';
import { Pins } from '../src/screens/Pins';
import { Preview } from '../src/screens/Preview';
import { Privacy } from '../src/screens/Privacy';
import { Staff } from '../src/screens/Staff';
import { experiment, experimentResults } from './fixtures';

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
    expect(navLabels(html)).toEqual([
      'Dashboard',
      'Catalogue',
      'Collections',
      'Pins &amp; rules',
      'Diversity',
      'Experiments',
      'Preview',
      'Users',
      'Privacy',
      'Audit log',
      'Staff',
    ]);
    expect(html).toContain('Model versions');
    expect(html).toContain('Activity, last 30 days');
    expect(html).toContain('API requests');
    expect(html).toContain('Sign out');
  });

  it('editor: no Users, no model panel', () => {
    const html = render('EDITOR');
    expect(navLabels(html)).toEqual(['Dashboard', 'Catalogue', 'Collections', 'Pins &amp; rules', 'Diversity', 'Experiments', 'Preview']);
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

describe('experiments screens', () => {
  const session = { token: 't', role: 'EDITOR' as const, email: 'editor@example.test', expiresAt: new Date(Date.now() + 3_600_000).toISOString() };
  const renderScreen = (node: React.ReactNode) => {
    const store = new SessionStore(null);
    store.signIn(session);
    try {
      return renderToStaticMarkup(<ApiProvider store={store}>{node}</ApiProvider>);
    } finally {
      store.dispose();
    }
  };
  const view = (e: ReturnType<typeof experiment>) =>
    renderScreen(<ExperimentView experiment={e} refreshing={false} refreshError={undefined} onRefresh={() => {}} onChanged={() => {}} />);
  /** Every input, select and textarea has a <label for>, or sits inside a labelling element. */
  const unlabelled = (html: string) =>
    [...html.matchAll(/<(input|select|textarea)\b[^>]*>/g)]
      .map((m) => m[0])
      .filter((tag) => {
        const id = /\sid="([^"]+)"/.exec(tag)?.[1];
        return !(id && html.includes(`<label for="${id}"`)) && !/aria-label=/.test(tag);
      });

  it('lists experiments with a status filter and a link to create one', () => {
    const html = renderScreen(<Experiments location={{ path: '/experiments', query: new URLSearchParams('status=RUNNING') }} />);
    expect(html).toMatch(/<h1[^>]*>Experiments<\/h1>/);
    expect(html).toContain('<option value="RUNNING" selected="">Running</option>');
    expect(html).toContain('New experiment');
    for (const h of ['Name', 'Surface', 'Status', 'Variants', 'Started', 'Stopped', 'Stop reason', 'Shipped'])
      expect(html).toContain(`<th scope="col">${h}</th>`);
  });

  it('the create form: every field labelled, two variants, the defaults', () => {
    const html = renderScreen(<NewExperiment />);
    expect(html).toContain('Create experiment');
    expect(unlabelled(html)).toEqual([]);
    expect(html).toContain('<legend>Variant 1 (control)</legend>');
    expect(html).toContain('<legend>Variant 2</legend>');
    expect(html).not.toContain('<legend>Variant 3</legend>');
    expect(html).toContain('<option value="RECOMMENDATIONS" selected="">Recommendations</option>');
    expect(html).toMatch(/Shares add up to (<!-- -->)?1(<!-- -->)?\./);
    expect(html).toMatch(/<input[^>]*value="24"/);
    for (const label of [
      'Experiment name',
      'Description',
      'Surface',
      'Primary metric',
      'Traffic from',
      'Traffic to',
      'Orthogonal',
      'Attribution window (hours)',
      'Ends at',
      'Editorial curation',
      'Own diversity settings',
    ]) {
      expect(html, label).toMatch(new RegExp(`<label for="[^"]+">${label.replace(/[()]/g, '\\$&')}</label>`));
    }
  });

  it('a draft offers Start and no results', () => {
    const html = view(experiment({ status: 'DRAFT', startedAt: null }));
    expect(html).toContain('Start experiment');
    expect(html).not.toContain('Stop experiment…');
    expect(html).not.toContain('>Results</h2>');
    expect(html).not.toContain('Ship variant');
  });

  it('a running experiment: Stop, Ship only where curation is on, and its results with warnings', () => {
    const html = view(experiment({ results: experimentResults }));
    expect(html).toContain('Stop experiment…');
    expect(html).not.toContain('Start experiment');
    expect(html).toContain('aria-label="Ship variant control"');
    expect(html).not.toContain('aria-label="Ship variant no-curation"');
    expect(html).toContain('Cannot be shipped: curation off');
    expect(html).toContain('>Results</h2>');
    expect(html).toContain('Sample-ratio mismatch: the split is not what was asked; do not trust these results');
    expect(html).toMatch(/<div class="warning" role="alert" data-warning="guardrail">/);
    expect(html).toMatch(/<tr data-variant="no-curation" class="breached">/);
    expect(html).toContain('✓ Significant: better');
    expect(html).toMatch(/<svg[^>]*role="img"/);
    expect(html).toContain('no-curation: 15.00 % (95 % interval 13.00 % to 17.00 %)');
    expect(html).toContain('<th scope="col" class="num">p-value</th>');
    // The primary metric over time: a line and a band per variant, labelled by day, then now.
    expect(html).toContain('Click-through rate over time (cumulative), with 95 % intervals');
    expect(html).toMatch(/data-band="control"/);
    expect(html).toMatch(/data-band="no-curation"/);
    expect(html).toContain('>20 Nov<');
    expect(html).toContain('>Now<');
  });

  it('no exposures yet, and no SRM warning when the split is fine', () => {
    const empty = {
      ...experimentResults,
      sampleRatio: null,
      variants: experimentResults.variants.map((v) => ({ ...v, users: 0, lists: 0, breachedGuardrails: [] })),
    };
    const html = view(experiment({ results: { ...empty, overTime: [] } }));
    expect(html).toContain('No exposures yet');
    expect(html).not.toContain('over time');
    expect(html).not.toContain('Sample-ratio mismatch');
    const fine = view(experiment({ results: { ...experimentResults, sampleRatio: { chiSquare: 0.4, pValue: 0.52, mismatch: false } } }));
    expect(fine).not.toContain('Sample-ratio mismatch');
  });

  it('stopped with a reason and a shipped variant: no more actions', () => {
    const html = view(
      experiment({ status: 'STOPPED', stoppedAt: '2026-11-22T12:00:00Z', stopReason: 'Enough data', shippedVariant: 'control', results: experimentResults }),
    );
    expect(html).toContain('<dd data-field="stop-reason">Enough data</dd>');
    expect(html).toContain('<span class="pill ok">Shipped</span>');
    expect(html).not.toContain('Ship variant');
    expect(html).not.toContain('Stop experiment…');
    expect(html).toContain('data-status="STOPPED"');
  });
});
