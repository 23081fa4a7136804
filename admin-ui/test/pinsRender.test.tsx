// Pins & rules and Collections rendered without a browser (react-dom/server): editing in
// place, the public reason and internal note, and the performance figures.
import type React from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { PerformanceTable, RateWithInterval } from '../src/components/Performance';
import type { StaffRole } from '../src/gql/graphql';
import { ApiProvider } from '../src/lib/api';
import { joinPerformance, periodRange } from '../src/lib/performance';
import { SessionStore } from '../src/lib/session';
import { Collections } from '../src/screens/Collections';
import { PlacementForm, Pins, RuleForm } from '../src/screens/Pins';
import { performanceRow, placementRow, ruleRow } from './curationFixtures';

const renderAs = (role: StaffRole, node: React.ReactNode) => {
  const store = new SessionStore(null);
  store.signIn({ token: 't', role, email: 'x@example.test', expiresAt: new Date(Date.now() + 3_600_000).toISOString() });
  try {
    return renderToStaticMarkup(<ApiProvider store={store}>{node}</ApiProvider>);
  } finally {
    store.dispose();
  }
};
const at = (path: string, query = '') => ({ path, query: new URLSearchParams(query) });
const surfaces = [
  { value: 'HOME', label: 'Home' },
  { value: 'RECOMMENDATIONS', label: 'Recommendations' },
];
const noop = () => {};
/** Every input, select and textarea has a <label for>, or an aria-label. */
const unlabelled = (html: string) =>
  [...html.matchAll(/<(input|select|textarea)\b[^>]*>/g)]
    .map((m) => m[0])
    .filter((tag) => {
      const id = /\sid="([^"]+)"/.exec(tag)?.[1];
      return !(id && html.includes(`<label for="${id}"`)) && !/aria-label=/.test(tag) && !/type="(radio|checkbox)"/.test(tag);
    });
const label = (html: string, text: string) => new RegExp(`<label for="[^"]+">${text.replace(/[()]/g, '\\$&')}</label>`).test(html);

describe('pins & rules screen: editing in place, public reason, performance', () => {
  it('the add-rule form separates the public reason (boosts) from the internal note, with a preview', () => {
    const html = renderAs('EDITOR', <Pins location={at('/pins')} />);
    expect(html).toContain('Add a pin');
    expect(html).toContain('Add rule');
    expect(label(html, 'Public reason (shown to subscribers)')).toBe(true);
    expect(label(html, 'Internal note (editors only)')).toBe(true);
    expect(html).toMatch(/Subscribers see: <span class="editors-pick"[^>]*>Editor&#x27;s pick<\/span>/);
    expect(html).toContain('<th scope="col">Public reason</th><th scope="col">Internal note</th>');
    expect(unlabelled(html)).toEqual([]);
  });

  it('editors and admins get the performance period (last 7 days by default) and tables; others do not', () => {
    for (const role of ['EDITOR', 'ADMIN'] as const) {
      const html = renderAs(role, <Pins location={at('/pins')} />);
      expect(label(html, 'Performance period'), role).toBe(true);
      expect(html).toContain('<option value="7" selected="">Last 7 days</option>');
      expect(html).toContain('<option value="30">Last 30 days</option>');
      expect(html).toContain('Pin performance');
      expect(html).toContain('Boost rule performance');
    }
    const compliance = renderAs('COMPLIANCE', <Pins location={at('/pins')} />);
    expect(compliance).not.toContain('Performance period');
    expect(compliance).not.toContain('Pin performance');
  });

  it('the Collections screen shows its performance for editors', () => {
    const html = renderAs('EDITOR', <Collections location={at('/collections')} />);
    expect(label(html, 'Performance period')).toBe(true);
    expect(html).toContain('Collection performance');
    expect(renderAs('COMPLIANCE', <Collections location={at('/collections')} />)).not.toContain('Collection performance');
  });

  it('editing a boost: the rule form prefilled, its reason previewed, Save and Cancel', () => {
    const html = renderAs('EDITOR', <RuleForm surfaces={surfaces} genres={['Drama']} editing={ruleRow()} onSaved={noop} onCancel={noop} />);
    expect(html).toMatch(/<h3 id="edit-rule-title"[^>]*>Edit rule<\/h3>/);
    expect(html).toContain('aria-labelledby="edit-rule-title"');
    expect(html).toContain('<option value="BOOST" selected="">Boost (rank higher)</option>');
    expect(html).toContain('<option value="Documentary" selected="">Documentary</option>');
    expect(html).toContain('<option value="HOME" selected="">Home</option>');
    expect(html).toMatch(/<input[^>]*value="2"/);
    expect(html).toMatch(/<input[^>]*value="Documentary month"/);
    expect(html).toMatch(/Subscribers see: <span class="editors-pick"[^>]*>Editor&#x27;s pick: Documentary month<\/span>/);
    expect(html).toMatch(/<textarea[^>]*>Agreed with marketing for November<\/textarea>/);
    expect(html).toContain('17/80 characters.');
    expect(html).toContain('>Save rule</button>');
    expect(html).toContain('>Cancel</button>');
    expect(html).not.toContain('Add rule');
    expect(unlabelled(html)).toEqual([]);
  });

  it('a bury or block has no public reason field', () => {
    const html = renderAs('EDITOR', <RuleForm surfaces={surfaces} genres={[]} editing={ruleRow({ kind: 'BURY', multiplier: 0.5, reason: null })} onSaved={noop} />);
    expect(html).toContain('<option value="BURY" selected="">Bury (rank lower)</option>');
    expect(html).not.toContain('Public reason');
    expect(html).not.toContain('Subscribers see');
    expect(label(html, 'Internal note (editors only)')).toBe(true);
  });

  it('editing a pin: the pin form prefilled (its collection offered even before the list arrives)', () => {
    const html = renderAs('EDITOR', <PlacementForm surfaces={surfaces} genres={[]} editing={placementRow()} onSaved={noop} onCancel={noop} />);
    expect(html).toMatch(/<h3 id="edit-pin-title"[^>]*>Edit pin<\/h3>/);
    expect(html).toContain('Editing <strong>Collection: Noir Week on Home at 2</strong>');
    expect(html).toMatch(/<input[^>]*type="number"[^>]*value="2"/);
    expect(html).toContain('<option value="Q29sbGVjdGlvbjox" selected="">Noir Week</option>');
    expect(html).toMatch(/<input[^>]*type="datetime-local"[^>]*value="2026-11-01T10:00"/);
    expect(html).toContain('Shown to: <strong>New users · in FR</strong>');
    expect(html).toContain('>Save pin</button>');
    expect(html).toContain('>Cancel</button>');
    expect(unlabelled(html)).toEqual([]);
  });
});

describe('performance table', () => {
  const period = { days: 7, ...periodRange(7, Date.parse('2026-11-22T10:00:00Z')) };
  const items = [
    { id: 'a', title: 'Noir Week' },
    { id: 'b', title: 'Quiet one' },
    { id: 'c', title: 'Big one' },
  ];
  const rows = [
    performanceRow('collectionId', 'a'),
    performanceRow('collectionId', 'c', { impressions: 5000, users: 1000, clicks: 10, clickThrough: { value: 0.004, low: 0.002, high: 0.007 }, completionRate: null }),
    performanceRow('collectionId', 'elsewhere'),
  ];
  const table = (loading = false) => {
    const joined = joinPerformance(items, (i) => i.id, rows, 'collectionId');
    return renderToStaticMarkup(
      <PerformanceTable
        title="Collection performance"
        itemHeader="Collection"
        rows={joined.rows}
        itemKey={(i) => i.id}
        renderItem={(i) => i.title}
        period={period}
        loading={loading}
        unlisted={joined.unlisted}
        unlistedText={(n) => `${n} more had figures.`}
        emptyText="No collections yet."
      />,
    );
  };

  it('shows counts, rates and intervals per item, most impressions first, "—" without data', () => {
    const html = table();
    expect([...html.matchAll(/data-performance-id="([^"]+)"/g)].map((m) => m[1])).toEqual(['c', 'a', 'b']);
    const row = (id: string) => new RegExp(`<tr data-performance-id="${id}"[^>]*>(.*?)</tr>`).exec(html)?.[1] ?? '';
    expect(row('a')).toContain('<td class="num">1,200</td><td class="num">300</td><td class="num">96</td>');
    expect(row('a')).toContain('12.00 %');
    expect(row('a')).toContain('10.00 % – 14.68 %');
    expect(row('a')).toContain('5.00 %');
    expect(row('c')).toContain('0.40 %');
    // A rate without an estimate, and an item without any figures: "—", never 0 %.
    expect(row('c')).toContain('<span class="rate none">—</span>');
    expect(row('b')).toContain('<td class="num">—</td>');
    expect(row('b')).not.toContain('%');
    expect(html).toContain('<tr data-performance-id="b" class="no-data">');
    expect(html).toContain('1 more had figures.');
    expect(html).toContain('Last 7 days');
    for (const h of ['Impressions', 'Users', 'Clicks']) expect(html).toContain(`<th scope="col" class="num">${h}</th>`);
    for (const h of ['Click-through rate', 'Completion rate']) expect(html).toContain(`<th scope="col">${h}</th>`);
  });

  it('while loading, items without figures yet show "…"', () => {
    const joined = joinPerformance(items, (i) => i.id, [], 'collectionId');
    const html = renderToStaticMarkup(
      <PerformanceTable title="T" itemHeader="Item" rows={joined.rows} itemKey={(i) => i.id} renderItem={(i) => i.title} period={period} loading emptyText="None." />,
    );
    expect(html).toContain('<td class="num">…</td>');
    expect(html).not.toContain('<td class="num">—</td>');
  });

  it('a rate with its interval and a whisker on the column’s scale', () => {
    const html = renderToStaticMarkup(<RateWithInterval field="clickThrough" rate={{ value: 0.12, low: 0.1, high: 0.15 }} scaleMax={0.3} />);
    expect(html).toContain('title="12.00 % (95 % interval 10.00 % – 15.00 %)"');
    expect(html).toContain('<span class="visually-hidden">95 % interval </span>10.00 % – 15.00 %');
    expect(html).toMatch(/<svg class="rate-whisker"[^>]*aria-hidden="true"/);
    expect(html).toContain('<circle cx="40" cy="6" r="3">');
    expect(renderToStaticMarkup(<RateWithInterval field="completionRate" rate={null} />)).toBe('<span class="rate none">—</span>');
  });
});
