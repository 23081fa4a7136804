// End-to-end test of the admin console in a real Chromium (Debian's /usr/bin/chromium via
// playwright-core, which never downloads a browser). Run with `npm run e2e` against a running
// `marquee serve`, which serves the built console at ${MARQUEE_URL}/admin/ and the API at /graphql.
//
// The privacy scenario PERMANENTLY DELETES the first user returned by `users(first: 1)`: run it
// against a test database only. The curation scenario archives the collection it creates and
// deletes its pin; the experiments scenario stops the experiment it starts.
//
// Environment:
//   MARQUEE_URL                 base URL serving /admin and /graphql (default http://127.0.0.1:8080)
//   MARQUEE_ADMIN_EMAIL         admin email (default admin@marquee.local)
//   MARQUEE_ADMIN_PASSWORD      admin password (required)
//   MARQUEE_EDITOR_EMAIL / MARQUEE_EDITOR_PASSWORD          optional: editor scenarios
//   MARQUEE_COMPLIANCE_EMAIL / MARQUEE_COMPLIANCE_PASSWORD  optional: compliance scenarios
//   CHROMIUM_PATH               browser binary (default /usr/bin/chromium)
//   E2E_SCREENSHOTS             optional folder to save screenshots into
//   E2E_TIMEOUT_MS              per-step timeout (default 15000)
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { launch } from './chromium.mjs';

const BASE = (process.env.MARQUEE_URL ?? 'http://127.0.0.1:8080').replace(/\/$/, '');
const CONSOLE = `${BASE}/admin/`;
const GRAPHQL = `${BASE}/graphql`;
const TIMEOUT = Number(process.env.E2E_TIMEOUT_MS ?? 15000);
const SHOTS = process.env.E2E_SCREENSHOTS;

const ADMIN = { email: process.env.MARQUEE_ADMIN_EMAIL ?? 'admin@marquee.local', password: process.env.MARQUEE_ADMIN_PASSWORD };
const EDITOR = { email: process.env.MARQUEE_EDITOR_EMAIL, password: process.env.MARQUEE_EDITOR_PASSWORD };
const COMPLIANCE = { email: process.env.MARQUEE_COMPLIANCE_EMAIL, password: process.env.MARQUEE_COMPLIANCE_PASSWORD };

if (!ADMIN.password) {
  console.error('Set MARQUEE_ADMIN_PASSWORD (and MARQUEE_URL) to run the end-to-end tests.');
  process.exit(2);
}

/** Calls the API directly; returns the parsed body (data and errors). */
async function gql(query, variables = {}, token) {
  const res = await fetch(GRAPHQL, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return res.json();
}

// One API sign-in per account for the whole run: the server allows 5 sign-ins a minute per
// account, and the browser steps sign in too.
const apiTokens = new Map();

async function apiLogin({ email, password }) {
  if (apiTokens.has(email)) return apiTokens.get(email);
  const r = await gql('mutation($i: LoginInput!) { login(input: $i) { token role } }', { i: { email, password } });
  assert.ok(r.data?.login?.token, `login failed for ${email}: ${JSON.stringify(r.errors)}`);
  apiTokens.set(email, r.data.login.token);
  return r.data.login.token;
}

const escapeRe = (t) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The slug the console derives from a title (src/lib/collectionForm.ts, slugify). */
const slugify = (t) =>
  t.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 64).replace(/-+$/, '');

async function openScreen(page, label, heading = label) {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: label, exact: true }).click();
  await page.getByRole('heading', { name: heading, level: 1 }).waitFor();
}

let browser;
let context;
const pageErrors = [];

before(async () => {
  if (SHOTS) mkdirSync(SHOTS, { recursive: true });
  browser = await launch('e2e', TIMEOUT);
  context = browser.context;
});

after(async () => {
  await browser?.close();
});

/** A fresh tab (its own sessionStorage, so signed out) that records page errors. */
async function newPage() {
  const page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  return page;
}

async function shot(page, name) {
  if (SHOTS) await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

async function signIn(page, { email, password }) {
  await page.goto(CONSOLE);
  await page.getByRole('heading', { name: /sign in/i }).waitFor();
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
}

async function navLinks(page) {
  return page.getByRole('navigation', { name: 'Main' }).getByRole('link').allInnerTexts();
}

describe('admin', () => {
  let page;
  let token;
  before(async () => {
    page = await newPage();
    token = await apiLogin(ADMIN);
  });
  after(async () => page?.close());

  test('wrong password is refused with a readable message', async () => {
    await page.goto(CONSOLE);
    await page.getByLabel('Email').fill(ADMIN.email);
    await page.getByLabel('Password').fill(`${ADMIN.password}-wrong`);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'Wrong email or password' }).waitFor();
    await shot(page, '00-sign-in-error');
  });

  test('signs in and sees the dashboard counts', async () => {
    await signIn(page, ADMIN);
    const stats = (await gql('{ catalogueStats { movies users ratings events } }', {}, token)).data.catalogueStats;
    for (const [key, value] of Object.entries(stats)) {
      const dd = page.locator(`[data-stat="${key}"] dd`);
      await dd.filter({ hasText: value.toLocaleString('en-US') }).waitFor();
    }
    const links = await navLinks(page);
    for (const l of ['Catalogue', 'Users', 'Collections', 'Pins & rules', 'Diversity', 'Experiments', 'Preview', 'Privacy', 'Audit log', 'Staff']) {
      assert.ok(links.includes(l), `admin nav lacks ${l}: ${links}`);
    }
    await page.getByText(ADMIN.email).first().waitFor();
    await shot(page, '01-dashboard');
  });

  test('the dashboard charts activity and shows request stats and model versions', async () => {
    const activity = page.locator('section', { has: page.getByRole('heading', { name: 'Activity, last 30 days' }) });
    await activity.waitFor();
    const days = (await gql('{ activityStats(days: 30) { day } }', {}, token)).data.activityStats;
    if (days.length > 0) {
      await activity.locator('svg[role="img"]').waitFor();
      const legend = await activity.getByRole('list', { name: /legend/ }).allInnerTexts();
      for (const l of ['Events', 'Ratings', 'New users']) assert.ok(legend.join(' ').includes(l), `legend: ${legend}`);
      assert.ok((await activity.locator('svg text.axis-label').allTextContents()).includes('Day (UTC)'));
    }
    await page.locator('[data-panel="requests"]').getByText('per minute').waitFor();
    await page.getByRole('heading', { name: 'Model versions' }).waitFor();
    await shot(page, '01b-dashboard-charts');
  });

  test('lists staff accounts', async () => {
    await openScreen(page, 'Staff');
    await page.locator(`tr[data-staff-email="${ADMIN.email}"]`).waitFor();
    const accounts = (await gql('{ staffAccounts { email } }', {}, token)).data.staffAccounts;
    assert.equal(await page.locator('tr[data-staff-email]').count(), accounts.length);
    // Client-side validation of the add form: the password is too short.
    await page.getByLabel('Email', { exact: true }).fill(`e2e-${Date.now()}@example.test`);
    await page.getByLabel('Initial password').fill('short');
    await page.getByRole('button', { name: 'Add staff' }).click();
    await page.getByText('The password must have at least 10 characters.').waitFor();
    await shot(page, '01c-staff');
    // Leaving the filled-in form asks first: staying keeps what was typed, leaving drops it.
    const nav = page.getByRole('navigation', { name: 'Main' });
    await nav.getByRole('link', { name: 'Catalogue' }).click();
    const leave = page.getByRole('dialog', { name: 'Leave this page?' });
    await leave.getByRole('button', { name: 'Stay on this page' }).click();
    await leave.waitFor({ state: 'hidden' });
    assert.equal(await page.getByLabel('Initial password').inputValue(), 'short');
    await nav.getByRole('link', { name: 'Catalogue' }).click();
    await leave.getByRole('button', { name: 'Leave without saving' }).click();
    await page.getByRole('heading', { name: 'Catalogue', level: 1 }).waitFor();
  });

  test('searches the catalogue and toggles a movie’s availability', async () => {
    // Pick an available movie through the API, then find it through the console's search.
    const pick = await gql('{ movies(first: 1, orderBy: POPULARITY) { nodes { id title available } } }', {}, token);
    const movie = pick.data.movies.nodes[0];
    assert.ok(movie, 'the catalogue has no movies');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Catalogue' }).click();
    await page.getByRole('heading', { name: 'Catalogue', level: 1 }).waitFor();
    await page.locator('table.data tbody tr').first().waitFor();
    await shot(page, '02-catalogue');

    await page.getByLabel('Title contains').fill(movie.title);
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.waitForURL(/[?&]q=/);
    const row = page.locator(`tr[data-movie-id="${movie.id}"]`);
    await row.waitFor();
    const rows = await page.locator('table.data tbody tr[data-movie-id]').allInnerTexts();
    assert.ok(rows.every((r) => r.toLowerCase().includes(movie.title.toLowerCase())), `search results: ${rows}`);

    const initially = movie.available;
    const toggleTo = async (available) => {
      const label = `${available ? 'Make available' : 'Make unavailable'}: ${movie.title}`;
      await row.getByRole('button', { name: label, exact: true }).click();
      await row.locator(`[data-availability="${available ? 'available' : 'unavailable'}"]`).waitFor();
      await page.getByRole('status').filter({ hasText: `is now ${available ? 'available' : 'unavailable'}` }).waitFor();
      const check = await gql('query($id: ID!) { movie(id: $id) { available } }', { id: movie.id }, token);
      assert.equal(check.data.movie.available, available, 'the API disagrees with the console');
    };
    await toggleTo(!initially);
    await shot(page, '03-catalogue-toggled');
    await toggleTo(initially); // leave the catalogue as it was
  });

  test('opens a movie for editing and validates the form', async () => {
    await page.locator('table.data tbody tr[data-movie-id] th a').first().click();
    await page.getByRole('heading', { name: /^Edit “/, level: 1 }).waitFor();
    await page.getByLabel('Year', { exact: true }).fill('1700');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('Year must be between 1870 and 2100.').waitFor();
    assert.equal(await page.getByLabel('Year', { exact: true }).getAttribute('aria-invalid'), 'true');
    await shot(page, '04-movie-editor');
    await page.getByRole('link', { name: 'Cancel' }).click();
    await page.getByRole('heading', { name: 'Catalogue', level: 1 }).waitFor();
  });

  test('adds a movie, then deletes it after confirming', async () => {
    const title = `E2E test movie ${Date.now()}`;
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Catalogue' }).click();
    await page.getByRole('link', { name: 'Add movie' }).click();
    await page.getByRole('heading', { name: 'Add movie', level: 1 }).waitFor();
    // Client-side validation first: no title.
    await page.getByRole('button', { name: 'Add movie' }).click();
    await page.getByText('Title is required.').waitFor();

    await page.getByLabel('Title').fill(title);
    await page.getByLabel('Year', { exact: true }).fill('2024');
    await page.getByLabel('Runtime (minutes)').fill('101');
    await page.getByLabel('Genres').fill('Drama, Documentary');
    await page.getByLabel('Directors').fill('Test Director');
    await page.getByRole('button', { name: 'Add movie' }).click();
    await page.getByRole('heading', { name: `Edit “${title}”`, level: 1 }).waitFor();
    await page.getByRole('status').filter({ hasText: 'Movie added.' }).waitFor();
    const id = decodeURIComponent(new URL(page.url()).pathname.split('/').pop());
    const created = await gql('query($id: ID!) { movie(id: $id) { title year runtime genres { name } directors { name } } }', { id }, token);
    assert.deepEqual(created.data.movie, {
      title,
      year: 2024,
      runtime: 101,
      genres: [{ name: 'Documentary' }, { name: 'Drama' }],
      directors: [{ name: 'Test Director' }],
    });

    await page.getByRole('button', { name: 'Delete movie' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete this movie?' });
    await dialog.waitFor();
    await shot(page, '05-confirm-delete');
    await dialog.getByRole('button', { name: 'Delete movie' }).click();
    await page.getByRole('heading', { name: 'Catalogue', level: 1 }).waitFor();
    const gone = await gql('query($id: ID!) { movie(id: $id) { id } }', { id }, token);
    assert.equal(gone.data?.movie ?? null, null, JSON.stringify(gone));
  });

  test('an expired or revoked token sends the console back to sign-in', async () => {
    await page.goto(CONSOLE);
    await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
    await page.evaluate(() => {
      const key = 'marquee.admin.session';
      const s = JSON.parse(sessionStorage.getItem(key));
      sessionStorage.setItem(key, JSON.stringify({ ...s, token: 'not-a-valid-token' }));
    });
    await page.reload();
    await page.getByRole('heading', { name: /sign in/i }).waitFor();
    await page.getByText('Your session expired').waitFor();
  });

  test('sign-out returns to sign-in and forgets the session', async () => {
    await signIn(page, ADMIN);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: /sign in/i }).waitFor();
    assert.equal(await page.evaluate(() => sessionStorage.getItem('marquee.admin.session')), null);
    await page.reload();
    await page.getByRole('heading', { name: /sign in/i }).waitFor();
  });
});

describe('editor', { skip: !EDITOR.email || !EDITOR.password ? 'MARQUEE_EDITOR_EMAIL/PASSWORD not set' : false }, () => {
  test('does not see Users, Privacy or Staff, and the API refuses them with FORBIDDEN', async () => {
    const page = await newPage();
    try {
      await signIn(page, EDITOR);
      const links = await navLinks(page);
      for (const l of ['Catalogue', 'Collections', 'Pins & rules', 'Diversity', 'Experiments', 'Preview'])
        assert.ok(links.includes(l), `editor nav lacks ${l}: ${links}`);
      for (const l of ['Users', 'Privacy', 'Audit log', 'Staff']) assert.ok(!links.includes(l), `editor nav shows ${l}: ${links}`);

      await page.goto(`${CONSOLE}users`);
      await page.getByRole('heading', { name: 'Not available to your role' }).waitFor();
      await page.goto(`${CONSOLE}privacy`);
      await page.getByRole('heading', { name: 'Not available to your role' }).waitFor();

      const token = await apiLogin(EDITOR);
      const r = await gql('{ users(first: 1) { totalCount } }', {}, token);
      assert.equal(r.errors?.[0]?.extensions?.code, 'FORBIDDEN', JSON.stringify(r));
      const d = await gql('{ deletionRequests(first: 1) { totalCount } }', {}, token);
      assert.equal(d.errors?.[0]?.extensions?.code, 'FORBIDDEN', JSON.stringify(d));
      const st = await gql('{ staffAccounts { email } }', {}, token);
      assert.equal(st.errors?.[0]?.extensions?.code, 'FORBIDDEN', JSON.stringify(st));
    } finally {
      await page.close();
    }
  });

  describe('curation', () => {
    let page;
    let token;
    const created = { collectionId: null, placementIds: [], ruleIds: [] };
    before(async () => {
      page = await newPage();
      token = await apiLogin(EDITOR);
    });
    after(async () => {
      // Leave the server as found even when a step failed.
      for (const id of created.placementIds) await gql('mutation($id: ID!) { deletePlacement(input: { id: $id }) { deleted } }', { id }, token).catch(() => {});
      for (const id of created.ruleIds) await gql('mutation($id: ID!) { deleteRule(input: { id: $id }) { deleted } }', { id }, token).catch(() => {});
      if (created.collectionId) {
        await gql('mutation($id: ID!) { archiveCollection(input: { id: $id }) { collection { id } } }', { id: created.collectionId }, token).catch(() => {});
      }
      await page?.close();
    });

    test('creates a collection of 3 movies, publishes it, pins it on Home row 1 and sees it in Preview', async () => {
      const picks = (await gql('{ movies(first: 3, orderBy: POPULARITY) { nodes { id title } } }', {}, token)).data.movies.nodes;
      assert.equal(picks.length, 3, 'the catalogue needs at least 3 movies');
      const adminToken = await apiLogin(ADMIN);
      const previewUser = (await gql('{ users(first: 1) { nodes { id externalId } } }', {}, adminToken)).data.users.nodes[0];
      assert.ok(previewUser, 'the server needs at least one user for the preview');
      const title = `E2E collection ${Date.now()}`;
      const slug = slugify(title);
      const order = async () =>
        (await gql('query($s: String!) { collection(slug: $s) { id status live movies { id } } }', { s: slug }, token)).data.collection;

      await signIn(page, EDITOR);
      await openScreen(page, 'Collections');
      await page.getByRole('link', { name: 'New collection' }).click();
      await page.getByRole('heading', { name: 'New collection', level: 1 }).waitFor();
      // Validation before any request.
      await page.getByRole('button', { name: 'Create collection' }).click();
      await page.getByText('Title is required.').waitFor();

      await page.getByLabel('Title').fill(title);
      assert.equal(await page.getByLabel('Slug').inputValue(), slug);
      await page.getByLabel('Description').fill('Made by the end-to-end test.');
      for (const m of picks) {
        await page.getByLabel('Add a movie', { exact: true }).fill(m.title);
        await page.locator(`.picker-results li[data-movie-id="${m.id}"] button`).click();
        await page.locator(`ol.order-list li[data-movie-id="${m.id}"]`).waitFor();
      }
      // Keyboard-accessible reordering: third movie up one place.
      await page.getByRole('button', { name: `Move up: ${picks[2].title}`, exact: true }).click();
      await page.getByRole('status').filter({ hasText: `moved to position 2 of 3` }).waitFor();
      await shot(page, '07-new-collection');
      await page.getByRole('button', { name: 'Create collection' }).click();
      await page.getByRole('heading', { name: `Collection “${title}”`, level: 1 }).waitFor();
      await page.getByRole('status').filter({ hasText: 'Collection created.' }).waitFor();
      let c = await order();
      created.collectionId = c.id;
      assert.equal(c.status, 'DRAFT');
      assert.deepEqual(c.movies.map((m) => m.id), [picks[0].id, picks[2].id, picks[1].id]);

      // Drag and drop (HTML5 drag events): the first movie onto the lower half of the last.
      const rows = page.locator('ol.order-list li');
      const last = rows.nth(2);
      const box = await last.boundingBox();
      await rows.nth(0).dragTo(last, { targetPosition: { x: 20, y: Math.max(1, box.height - 4) } });
      await page.getByRole('status').filter({ hasText: 'moved to position 3 of 3' }).waitFor();
      await page.getByRole('button', { name: 'Save movies' }).click();
      await page.getByRole('status').filter({ hasText: 'Movies saved: 3 in this order.' }).waitFor();
      c = await order();
      assert.deepEqual(c.movies.map((m) => m.id), [picks[2].id, picks[1].id, picks[0].id]);

      await page.getByRole('button', { name: 'Publish', exact: true }).click();
      await page.locator('.title-row [data-status="PUBLISHED"]').waitFor();
      c = await order();
      assert.equal(c.status, 'PUBLISHED');
      assert.equal(c.live, true);
      await shot(page, '08-collection-published');

      // Pin it on Home, row 1, for everyone.
      await openScreen(page, 'Pins & rules');
      const form = page.getByRole('form', { name: 'Add a pin' });
      await form.getByRole('combobox', { name: 'Surface', exact: true }).selectOption('HOME');
      await form.getByRole('spinbutton', { name: 'Position' }).fill('1');
      await form.getByRole('radio', { name: 'Collection' }).check();
      await form.getByRole('combobox', { name: 'Collection', exact: true }).selectOption(c.id);
      await form.getByRole('button', { name: 'Add pin' }).click();
      await page.getByRole('status').filter({ hasText: 'Pin added.' }).waitFor();
      const pinRow = page.locator('tr[data-placement-id]', { hasText: `Collection: ${title}` });
      await pinRow.waitFor();
      assert.ok((await pinRow.innerText()).includes('Everyone'), await pinRow.innerText());
      const pins = (await gql('{ placements(surface: { kind: HOME }) { id position live collection { id } } }', {}, token)).data.placements;
      const pin = pins.find((p) => p.collection?.id === c.id);
      assert.ok(pin, JSON.stringify(pins));
      created.placementIds.push(pin.id);
      assert.equal(pin.position, 1);
      assert.equal(pin.live, true);
      await shot(page, '09-pinned');

      // Preview a user's home feed: the collection is the first row.
      await openScreen(page, 'Preview');
      // Editors name the user by the id the apps know them by.
      await page.getByLabel('External id', { exact: true }).fill(previewUser.externalId);
      await page.getByRole('button', { name: 'Show preview' }).click();
      await page.waitForURL(/[?&]external=/);
      const row = page.locator('.feed-row', { has: page.getByRole('heading', { name: new RegExp(escapeRe(title)) }) });
      await row.waitFor();
      assert.equal(await row.getAttribute('data-row-kind'), 'COLLECTION');
      assert.ok((await page.locator('.feed-row').first().innerText()).includes(title), 'the pinned collection is not row 1');
      assert.ok((await row.locator('.rec').count()) >= 1, 'the collection row is empty');
      await page.getByRole('heading', { name: 'Recommendations', level: 2 }).waitFor();
      await shot(page, '10-preview');

      // A boost rule edited in place: the public reason changes (with a live preview of what
      // subscribers read), the internal note stays internal.
      const genre = (await gql('{ genres { genre { name } } }', {}, token)).data.genres[0].genre.name;
      const made = await gql(
        'mutation($i: CreateRuleInput!) { createRule(input: $i) { rule { id } } }',
        { i: { kind: 'BOOST', target: { genre }, multiplier: 1.2, reason: 'E2E month', note: 'Internal: ask marketing' } },
        token,
      );
      const ruleId = made.data.createRule.rule.id;
      created.ruleIds.push(ruleId);
      await openScreen(page, 'Pins & rules');
      const ruleRow = page.locator(`tr[data-rule-id="${ruleId}"]`);
      await ruleRow.waitFor();
      assert.equal((await ruleRow.locator('td[data-field="reason"]').innerText()).trim(), "Editor's pick: E2E month");
      await ruleRow.getByRole('button', { name: /^Edit rule:/ }).click();
      const edit = page.getByRole('form', { name: 'Edit rule' });
      await edit.getByLabel('Public reason (shown to subscribers)').fill('E2E festival');
      await edit.locator('[data-reason-preview]', { hasText: "Editor's pick: E2E festival" }).waitFor();
      await edit.getByRole('button', { name: 'Save rule' }).click();
      await page.getByRole('status').filter({ hasText: 'Rule saved.' }).waitFor();
      const saved = (await gql('{ rules { id reason note } }', {}, token)).data.rules.filter((r) => r.id === ruleId);
      assert.deepEqual(saved, [{ id: ruleId, reason: 'E2E festival', note: 'Internal: ask marketing' }]);
      await page.locator(`tr[data-rule-id="${ruleId}"] td[data-field="reason"]`, { hasText: "Editor's pick: E2E festival" }).waitFor();
      await shot(page, '10b-rule-edited');

      // Clean up through the console: delete the pin, archive the collection.
      await openScreen(page, 'Pins & rules');
      await page.locator(`tr[data-placement-id="${pin.id}"]`).getByRole('button', { name: /^Delete pin:/ }).click();
      const dialog = page.getByRole('dialog', { name: 'Delete this pin?' });
      await dialog.getByRole('button', { name: 'Delete', exact: true }).click();
      await page.getByRole('status').filter({ hasText: 'Pin deleted.' }).waitFor();
      await page.goto(`${CONSOLE}collections/${encodeURIComponent(slug)}`);
      await page.getByRole('button', { name: 'Archive', exact: true }).click();
      await page.locator('.title-row [data-status="ARCHIVED"]').waitFor();
      assert.equal((await order()).status, 'ARCHIVED');
    });
  });

  describe('experiments', () => {
    let page;
    let token;
    const created = { runningId: null };
    before(async () => {
      page = await newPage();
      token = await apiLogin(EDITOR);
    });
    after(async () => {
      // Never leave an experiment running (it would change what users are served) even when a step failed.
      if (created.runningId) {
        await gql('mutation($id: ID!) { stopExperiment(input: { id: $id, reason: "e2e cleanup" }) { experiment { id } } }', { id: created.runningId }, token).catch(() => {});
      }
      await page?.close();
    });

    test('creates an experiment on Recommendations (control and no-curation), starts it, sees its results and stops it with a reason', async () => {
      const name = `E2E experiment ${Date.now()}`;
      const reason = 'Stopped by the end-to-end test';
      const check = async (id) =>
        (await gql('query($id: ID!) { experiment(id: $id) { status surface stopReason variants { name share curation } } }', { id }, token)).data.experiment;

      await signIn(page, EDITOR);
      await openScreen(page, 'Experiments');
      await page.getByRole('link', { name: 'New experiment' }).click();
      await page.getByRole('heading', { name: 'New experiment', level: 1 }).waitFor();
      const form = page.getByRole('form', { name: 'New experiment' });
      const control = form.getByRole('group', { name: 'Variant 1 (control)' });
      const treatment = form.getByRole('group', { name: 'Variant 2', exact: true });
      await form.getByLabel('Experiment name').fill(name);
      await form.getByRole('combobox', { name: 'Surface', exact: true }).selectOption('RECOMMENDATIONS');
      await control.getByLabel('Name', { exact: true }).fill('control');
      await control.getByLabel('Share', { exact: true }).fill('0.5');
      await treatment.getByLabel('Name', { exact: true }).fill('no-curation');
      // Validation before any request: shares that do not add up to 1.
      await treatment.getByLabel('Share', { exact: true }).fill('0.4');
      await form.getByRole('button', { name: 'Create experiment' }).click();
      await page.getByText('The variants’ shares add up to 0.9; they must add up to 1.').first().waitFor();
      await treatment.getByLabel('Share', { exact: true }).fill('0.5');
      await treatment.getByLabel('Editorial curation').uncheck();
      await shot(page, '15-new-experiment');
      await form.getByRole('button', { name: 'Create experiment' }).click();
      await page.getByRole('heading', { name: `Experiment “${name}”`, level: 1 }).waitFor();
      await page.locator('.title-row [data-status="DRAFT"]').waitFor();
      await page.getByRole('status').filter({ hasText: 'Experiment created as a draft.' }).waitFor();
      const id = decodeURIComponent(new URL(page.url()).pathname.split('/').pop());
      let e = await check(id);
      assert.equal(e.status, 'DRAFT');
      assert.equal(e.surface, 'RECOMMENDATIONS');
      assert.deepEqual(e.variants, [
        { name: 'control', share: 0.5, curation: true },
        { name: 'no-curation', share: 0.5, curation: false },
      ]);

      created.runningId = id;
      await page.getByRole('button', { name: 'Start experiment' }).click();
      await page.locator('.title-row [data-status="RUNNING"]').waitFor();
      await page.getByRole('status').filter({ hasText: 'Started' }).waitFor();
      const results = page.locator('section', { has: page.getByRole('heading', { name: 'Results', level: 2 }) });
      await results.waitFor();
      // Either no user was served yet, or the exposure table is there.
      await results.locator('[data-results="empty"], table.exposure').first().waitFor();
      // A variant with curation off is never offered for shipping.
      await page.getByRole('button', { name: 'Ship variant control', exact: true }).waitFor();
      assert.equal(await page.getByRole('button', { name: 'Ship variant no-curation', exact: true }).count(), 0);
      assert.equal((await check(id)).status, 'RUNNING');
      await shot(page, '16-experiment-running');

      await page.getByRole('button', { name: 'Stop experiment…' }).click();
      const dialog = page.getByRole('dialog', { name: 'Stop this experiment?' });
      await dialog.waitFor();
      // A reason is asked for.
      await dialog.getByRole('button', { name: 'Stop experiment', exact: true }).click();
      await dialog.getByText('Give a reason for stopping').waitFor();
      await dialog.getByLabel('Reason').fill(reason);
      await dialog.getByRole('button', { name: 'Stop experiment', exact: true }).click();
      await page.locator('.title-row [data-status="STOPPED"]').waitFor();
      await page.locator('[data-field="stop-reason"]').filter({ hasText: reason }).waitFor();
      e = await check(id);
      assert.equal(e.status, 'STOPPED');
      assert.equal(e.stopReason, reason);
      created.runningId = null;
      await shot(page, '17-experiment-stopped');

      // The list, filtered to stopped experiments, shows it with its reason.
      await page.getByRole('link', { name: '← Back to experiments' }).click();
      await page.getByRole('heading', { name: 'Experiments', level: 1 }).waitFor();
      await page.getByLabel('Status', { exact: true }).selectOption('STOPPED');
      await page.waitForURL(/[?&]status=STOPPED/);
      const row = page.locator(`tr[data-experiment-id="${id}"]`);
      await row.waitFor();
      const text = await row.innerText();
      assert.ok(text.includes(reason) && text.includes('Stopped'), text);
    });

    test('ships a diversity variant: its settings become the surface’s and the experiment stops', async () => {
      const SETTINGS = '{ diversitySettings { surface { kind genre } maxPerGenre mmrLambda calibration minGenres noveltyWeight } }';
      const isHome = (d) => d.surface.kind === 'HOME';
      const before = (await gql(SETTINGS, {}, token)).data.diversitySettings.find(isHome) ?? null;
      const name = `E2E ship ${Date.now()}`;
      const made = await gql(
        'mutation($i: CreateExperimentInput!) { createExperiment(input: $i) { experiment { id } } }',
        {
          i: {
            name,
            surface: 'HOME',
            primaryMetric: 'CLICK_THROUGH',
            variants: [
              { name: 'control', share: 0.5 },
              { name: 'capped', share: 0.5, diversity: { maxPerGenre: 4, mmrLambda: 0.8 } },
            ],
          },
        },
        token,
      );
      const id = made.data.createExperiment.experiment.id;
      await gql('mutation($id: ID!) { startExperiment(input: { id: $id }) { experiment { id } } }', { id }, token);
      created.runningId = id;
      try {
        await page.goto(`${CONSOLE}experiments/${encodeURIComponent(id)}`);
        await page.locator('.title-row [data-status="RUNNING"]').waitFor();
        await page.getByRole('button', { name: 'Ship variant capped', exact: true }).click();
        const dialog = page.getByRole('dialog', { name: 'Ship variant “capped”?' });
        await dialog.getByRole('button', { name: 'Ship variant', exact: true }).click();
        await page.getByRole('status').filter({ hasText: 'Variant “capped” shipped.' }).waitFor();
        await page.locator('.title-row [data-status="STOPPED"]').waitFor();
        created.runningId = null;
        const e = (await gql('query($id: ID!) { experiment(id: $id) { status shippedVariant } }', { id }, token)).data.experiment;
        assert.deepEqual(e, { status: 'STOPPED', shippedVariant: 'capped' });
        const home = (await gql(SETTINGS, {}, token)).data.diversitySettings.find(isHome);
        assert.equal(home.maxPerGenre, 4);
        assert.equal(home.mmrLambda, 0.8);
        await shot(page, '18-experiment-shipped');
      } finally {
        // Put the home feed's diversity back as it was.
        const restore = { maxPerGenre: null, mmrLambda: 1, calibration: 0, minGenres: null, noveltyWeight: 0, ...before, surface: { kind: 'HOME' } };
        await gql('mutation($i: SetDiversitySettingsInput!) { setDiversitySettings(input: $i) { diversitySettings { surface { kind } } } }', { i: restore }, token);
      }
    });
  });
});

describe('compliance', { skip: !COMPLIANCE.email || !COMPLIANCE.password ? 'MARQUEE_COMPLIANCE_EMAIL/PASSWORD not set' : false }, () => {
  test('sees Users, Privacy and the audit log but not the catalogue or staff, and opens a user', async () => {
    const page = await newPage();
    try {
      await signIn(page, COMPLIANCE);
      const links = await navLinks(page);
      assert.ok(links.includes('Users') && links.includes('Privacy') && links.includes('Audit log'), `compliance nav: ${links}`);
      for (const l of ['Catalogue', 'Collections', 'Experiments', 'Preview', 'Staff']) assert.ok(!links.includes(l), `compliance nav shows ${l}: ${links}`);
      await openScreen(page, 'Users');
      await page.locator('table.data tbody th a').first().click();
      await page.getByRole('heading', { name: /^User /, level: 1 }).waitFor();
      await page.getByRole('heading', { name: /^Ratings/ }).waitFor();
      await page.getByRole('button', { name: 'Export data (JSON)' }).waitFor();
      await shot(page, '06-user-detail');
    } finally {
      await page.close();
    }
  });

  test('does not see Experiments; the screen and the API refuse them', async () => {
    const page = await newPage();
    try {
      await signIn(page, COMPLIANCE);
      const links = await navLinks(page);
      assert.ok(!links.includes('Experiments'), `compliance nav shows Experiments: ${links}`);
      await page.goto(`${CONSOLE}experiments`);
      await page.getByRole('heading', { name: 'Not available to your role' }).waitFor();
      const token = await apiLogin(COMPLIANCE);
      const r = await gql('{ experiments { id } }', {}, token);
      assert.equal(r.errors?.[0]?.extensions?.code, 'FORBIDDEN', JSON.stringify(r));
    } finally {
      await page.close();
    }
  });

  test('creates, approves and completes a deletion request; the user is gone', async () => {
    const page = await newPage();
    try {
      const token = await apiLogin(COMPLIANCE);
      // A user token is not available to the test, so the request is made on the user's behalf.
      const user = (await gql('{ users(first: 1) { nodes { id externalId } } }', {}, token)).data.users.nodes[0];
      assert.ok(user, 'the server needs at least one user');

      await signIn(page, COMPLIANCE);
      await openScreen(page, 'Privacy');
      await page.getByRole('heading', { name: 'Deletion requests' }).waitFor();
      await page.getByRole('button', { name: 'New request on behalf of a user' }).click();
      await page.getByLabel('User id', { exact: true }).fill(user.id);
      await page.getByRole('button', { name: 'Create request' }).click();
      await page.getByRole('heading', { name: `Deletion request: ${user.externalId}`, level: 1 }).waitFor();
      const requestId = decodeURIComponent(new URL(page.url()).pathname.split('/').pop());
      const check = async () =>
        (await gql('query($id: ID!) { deletionRequest(id: $id) { status outcome user { id } } }', { id: requestId }, token)).data.deletionRequest;
      let r = await check();
      assert.equal(r.user?.id, user.id);
      await shot(page, '11-deletion-request');

      // A user may already have had an open request: the API returns it, perhaps approved.
      if (r.status === 'PENDING') {
        await page.getByRole('button', { name: 'Approve', exact: true }).click();
        await page.locator('.title-row [data-status="APPROVED"]').waitFor();
        r = await check();
      }
      assert.equal(r.status, 'APPROVED');

      await page.getByRole('button', { name: 'Complete deletion…' }).click();
      const dialog = page.getByRole('dialog', { name: 'Complete this deletion?' });
      await dialog.getByText(/This permanently deletes/).waitFor();
      await shot(page, '12-confirm-complete');
      await dialog.getByRole('button', { name: 'Delete permanently' }).click();
      await page.locator('.title-row [data-status="COMPLETED"]').waitFor();
      await page.getByRole('heading', { name: 'Outcome' }).waitFor();
      const counts = await page.locator('table.outcome tbody tr').count();
      assert.ok(counts >= 1, 'no outcome counts shown');
      await shot(page, '13-deletion-completed');

      r = await check();
      assert.equal(r.status, 'COMPLETED');
      assert.ok(r.outcome && typeof r.outcome === 'object', JSON.stringify(r.outcome));
      const gone = await gql('query($id: ID!) { user(id: $id) { id } }', { id: user.id }, token);
      assert.equal(gone.data?.user ?? null, null, JSON.stringify(gone));

      // The request's audit trail lists its entries and names the staff member by email.
      await page.getByRole('link', { name: 'Audit trail' }).click();
      await page.locator('table.audit tbody tr[data-action^="deletion"]').first().waitFor();
      const trail = await page.locator('table.audit tbody tr').allInnerTexts();
      assert.ok(trail.some((t) => t.includes(COMPLIANCE.email)), `audit trail: ${trail}`);
      await page.goBack();

      // The queue shows it as completed, and the audit log recorded it.
      await page.getByRole('link', { name: '← Back to privacy requests' }).click();
      await page.getByLabel('Status', { exact: true }).selectOption('COMPLETED');
      await page.waitForURL(/[?&]status=COMPLETED/);
      await page.locator('tr[data-request-id] [data-status="COMPLETED"]').first().waitFor();
      const shown = await page.locator('tr[data-request-id] [data-status]').evaluateAll((els) => els.map((e) => e.getAttribute('data-status')));
      assert.ok(shown.length > 0 && shown.every((x) => x === 'COMPLETED'), `filtered queue: ${shown}`);
      await openScreen(page, 'Audit log');
      await page.getByLabel('Action starts with').fill('deletion');
      await page.getByRole('button', { name: 'Filter', exact: true }).click();
      await page.waitForURL(/[?&]action=deletion/);
      await page.locator('table.audit tbody tr[data-action^="deletion"]').first().waitFor();
      await shot(page, '14-audit-log');
    } finally {
      await page.close();
    }
  });
});

test('no uncaught errors in the page', () => {
  assert.deepEqual(pageErrors, []);
});

// Accessibility and narrow screens (issue #13). Every main screen, at 390×844 and at 1280 px
// wide, has no `serious` or `critical` axe-core violation, and at 390 px nothing overflows
// horizontally. The console's Content-Security-Policy (script-src 'self') refuses inline
// scripts, so page.addScriptTag cannot add axe; page.addInitScript adds it through the
// DevTools protocol to every document the tab loads, which the policy does not apply to.
const AXE_PATH = (await import('node:module')).createRequire(import.meta.url).resolve('axe-core/axe.min.js');

/** The screens checked: console path (under /admin/) and level-1 heading. */
const A11Y_SCREENS = [
  { name: 'dashboard', path: '', heading: 'Dashboard' },
  { name: 'catalogue', path: 'catalogue', heading: 'Catalogue' },
  { name: 'collections', path: 'collections', heading: 'Collections' },
  { name: 'pins', path: 'pins', heading: 'Pins & rules' },
  { name: 'diversity', path: 'diversity', heading: 'Diversity' },
  { name: 'preview', path: 'preview', heading: 'Preview', withUser: true },
  { name: 'experiments', path: 'experiments', heading: 'Experiments' },
  { name: 'staff', path: 'staff', heading: 'Staff' },
  { name: 'audit', path: 'audit', heading: 'Audit log' },
];

describe('accessibility and narrow screens', () => {
  let page;
  let previewUserId;
  const errors = [];
  before(async () => {
    page = await newPage();
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.addInitScript({ path: AXE_PATH });
    // One browser sign-in for the whole block (the server allows 5 a minute per account);
    // the session lives in the tab's sessionStorage, so every page.goto below stays signed in.
    await signIn(page, ADMIN);
    const token = await apiLogin(ADMIN);
    previewUserId = (await gql('{ users(first: 1) { nodes { id } } }', {}, token)).data?.users?.nodes?.[0]?.id;
    assert.ok(previewUserId, 'the server needs a user for the preview');
  });
  after(async () => page?.close());

  /** Opens a screen by URL and waits for its heading, its data (no aria-busy) and the network. */
  async function visit(s) {
    const path = s.withUser ? `${s.path}?user=${encodeURIComponent(previewUserId)}` : s.path;
    await page.goto(`${CONSOLE}${path}`, { waitUntil: 'networkidle' });
    await page.getByRole('heading', { name: s.heading, level: 1, exact: true }).waitFor();
    await page.waitForFunction(() => !document.querySelector('[aria-busy="true"]'));
  }

  /** axe-core's serious and critical violations on the page, summarised. */
  async function seriousViolations() {
    return page.evaluate(async () => {
      if (!window.axe) throw new Error('axe-core was not injected');
      const r = await window.axe.run(document, { resultTypes: ['violations'] });
      return r.violations
        .filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => ({ rule: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ')) }));
    });
  }

  for (const viewport of [
    { width: 390, height: 844 },
    { width: 1280, height: 860 },
  ]) {
    const narrow = viewport.width < 500;
    test(`at ${viewport.width} px every main screen has no serious or critical axe violation${narrow ? ' and no horizontal overflow' : ''}`, async () => {
      await page.setViewportSize(viewport);
      const problems = [];
      for (const s of A11Y_SCREENS) {
        await visit(s);
        for (const v of await seriousViolations()) problems.push({ screen: s.name, width: viewport.width, ...v });
        if (narrow) {
          const { scrollWidth, innerWidth } = await page.evaluate(() => ({
            scrollWidth: document.documentElement.scrollWidth,
            innerWidth: window.innerWidth,
          }));
          if (scrollWidth > innerWidth) problems.push({ screen: s.name, width: viewport.width, rule: 'horizontal-overflow', scrollWidth, innerWidth });
        }
        await shot(page, `20-a11y-${viewport.width}-${s.name}`);
      }
      assert.deepEqual(problems, [], JSON.stringify(problems, null, 2));
    });
  }

  test('at 390 px the navigation is behind a menu button (aria-expanded, Escape closes it)', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await visit(A11Y_SCREENS[0]);
    const nav = page.getByRole('navigation', { name: 'Main' });
    const menu = page.getByRole('button', { name: 'Menu', exact: true });
    assert.equal(await menu.getAttribute('aria-expanded'), 'false');
    assert.equal(await nav.isVisible(), false);

    await menu.click();
    assert.equal(await menu.getAttribute('aria-expanded'), 'true');
    await nav.getByRole('link', { name: 'Catalogue', exact: true }).waitFor();
    await page.keyboard.press('Escape');
    assert.equal(await menu.getAttribute('aria-expanded'), 'false');
    assert.equal(await nav.isVisible(), false);
    assert.ok(await menu.evaluate((b) => b === document.activeElement), 'Escape returns focus to the menu button');

    await menu.click();
    await nav.getByRole('link', { name: 'Catalogue', exact: true }).click();
    await page.getByRole('heading', { name: 'Catalogue', level: 1 }).waitFor();
    assert.equal(await menu.getAttribute('aria-expanded'), 'false');
    assert.equal(await nav.isVisible(), false);
    await page.setViewportSize({ width: 1280, height: 860 });
    assert.equal(await nav.isVisible(), true);
    assert.equal(await menu.isVisible(), false);
  });

  test('no uncaught errors in these pages', () => {
    assert.deepEqual(errors, []);
  });
});
