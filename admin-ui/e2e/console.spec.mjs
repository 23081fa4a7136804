// End-to-end test of the admin console in a real Chromium (Debian's /usr/bin/chromium via
// playwright-core, which never downloads a browser). Run with `npm run e2e`.
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
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const BASE = (process.env.MARQUEE_URL ?? 'http://127.0.0.1:8080').replace(/\/$/, '');
const CONSOLE = `${BASE}/admin/`;
const GRAPHQL = `${BASE}/graphql`;
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
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

async function apiLogin({ email, password }) {
  const r = await gql('mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token role } }', { e: email, p: password });
  assert.ok(r.data?.login?.token, `login failed for ${email}: ${JSON.stringify(r.errors)}`);
  return r.data.login.token;
}

let context;
let userDataDir;
const pageErrors = [];

before(async () => {
  userDataDir = mkdtempSync(join(tmpdir(), 'marquee-e2e-'));
  if (SHOTS) mkdirSync(SHOTS, { recursive: true });
  // A persistent context is how playwright takes a fresh --user-data-dir.
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1280, height: 860 },
  });
  context.setDefaultTimeout(TIMEOUT);
});

after(async () => {
  await context?.close();
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
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
    assert.ok(links.includes('Catalogue') && links.includes('Users'), `admin nav: ${links}`);
    await page.getByText(ADMIN.email).first().waitFor();
    await shot(page, '01-dashboard');
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
  test('does not see Users, and the API refuses `users` with FORBIDDEN', async () => {
    const page = await newPage();
    try {
      await signIn(page, EDITOR);
      const links = await navLinks(page);
      assert.ok(links.includes('Catalogue'), `editor nav: ${links}`);
      assert.ok(!links.includes('Users'), `editor nav shows Users: ${links}`);

      await page.goto(`${CONSOLE}users`);
      await page.getByRole('heading', { name: 'Not available to your role' }).waitFor();

      const token = await apiLogin(EDITOR);
      const r = await gql('{ users(first: 1) { totalCount } }', {}, token);
      assert.equal(r.errors?.[0]?.extensions?.code, 'FORBIDDEN', JSON.stringify(r));
    } finally {
      await page.close();
    }
  });
});

describe('compliance', { skip: !COMPLIANCE.email || !COMPLIANCE.password ? 'MARQUEE_COMPLIANCE_EMAIL/PASSWORD not set' : false }, () => {
  test('sees Users but not the catalogue, and opens a user', async () => {
    const page = await newPage();
    try {
      await signIn(page, COMPLIANCE);
      const links = await navLinks(page);
      assert.ok(links.includes('Users') && !links.includes('Catalogue'), `compliance nav: ${links}`);
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Users' }).click();
      await page.getByRole('heading', { name: 'Users', level: 1 }).waitFor();
      await page.locator('table.data tbody th a').first().click();
      await page.getByRole('heading', { name: /^User /, level: 1 }).waitFor();
      await page.getByRole('heading', { name: /^Ratings/ }).waitFor();
      await shot(page, '06-user-detail');
    } finally {
      await page.close();
    }
  });
});

test('no uncaught errors in the page', () => {
  assert.deepEqual(pageErrors, []);
});
