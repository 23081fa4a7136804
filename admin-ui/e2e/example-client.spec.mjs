// End-to-end test of the example web client (examples/web-client/, opened as a file) in a real
// Chromium (Debian's /usr/bin/chromium via playwright-core, which never downloads a browser),
// against a running `marquee serve` whose `server.cors_allowed_origins` allows any origin (a page
// opened from file:// calls the API with the origin `null`).
//
// It RATES the first movie of the user's home feed 4.5: run it against a test database only.
//
// Run: node --test e2e/example-client.spec.mjs (from admin-ui/)
//
// Environment:
//   MARQUEE_URL           base URL serving /graphql (default http://127.0.0.1:8080)
//   MARQUEE_USER_TOKEN    an end-user token (required), e.g. `marquee token --user demo-0001`
//   CHROMIUM_PATH         browser binary (default /usr/bin/chromium)
//   E2E_SCREENSHOTS       optional folder to save screenshots into
//   E2E_TIMEOUT_MS        per-step timeout (default 15000)
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch } from './chromium.mjs';

const BASE = (process.env.MARQUEE_URL ?? 'http://127.0.0.1:8080').replace(/\/$/, '');
const GRAPHQL = `${BASE}/graphql`;
const TOKEN = process.env.MARQUEE_USER_TOKEN;
const TIMEOUT = Number(process.env.E2E_TIMEOUT_MS ?? 15000);
const SHOTS = process.env.E2E_SCREENSHOTS;

if (!TOKEN) {
  console.error('Set MARQUEE_USER_TOKEN (and MARQUEE_URL) to run the example client test.');
  process.exit(2);
}

const PAGE_FILE = new URL('../../examples/web-client/index.html', import.meta.url);
const PAGE = new URL(PAGE_FILE);
PAGE.searchParams.set('api', GRAPHQL);
PAGE.searchParams.set('token', TOKEN);

/** The token's `sub` (the user's external id), or null when it is not a readable JWT. */
function tokenSubject(token) {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));
    return typeof payload.sub === 'string' ? payload.sub : null;
  } catch {
    return null;
  }
}

/** Calls the API directly with the same token; returns the parsed body. */
async function gql(query, variables = {}) {
  const res = await fetch(GRAPHQL, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify({ query, variables }),
  });
  return res.json();
}

let browser;
let page;
const pageErrors = [];
const consoleErrors = [];

before(async () => {
  assert.ok(existsSync(fileURLToPath(PAGE_FILE)), `no example page at ${fileURLToPath(PAGE_FILE)}`);
  if (SHOTS) mkdirSync(SHOTS, { recursive: true });
  browser = await launch('example-e2e', TIMEOUT);
  page = await browser.context.newPage();
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  page.on('console', (msg) => {
    if (msg.type() === 'error') consoleErrors.push(msg.text());
  });
});

after(async () => {
  await browser?.close();
});

async function shot(name) {
  if (SHOTS) await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

test('shows the signed-in user and their home feed', async () => {
  await page.goto(PAGE.href);
  // Signed in, or an error on the page (an expired or erased user's token: UNAUTHENTICATED).
  await page.waitForFunction(
    () => document.querySelector('#me')?.textContent.trim() || document.querySelector('#errors')?.textContent.trim(),
  );
  const errorsShown = (await page.locator('#errors').textContent()).trim();
  assert.equal(errorsShown, '', `the page shows errors: ${errorsShown}`);
  const shown = (await page.locator('#me').textContent()).trim();
  assert.ok(shown.length > 0, 'no external id shown');
  const sub = tokenSubject(TOKEN);
  if (sub) assert.equal(shown, sub);

  const rows = page.locator('#feed [data-testid=row]');
  await rows.first().waitFor();
  await rows.first().locator('[data-testid=item]').first().waitFor();
  assert.ok((await rows.count()) >= 1, 'no feed row');
  assert.ok((await rows.first().locator('[data-testid=item]').count()) >= 1, 'no item in the first row');
  assert.ok((await rows.first().locator('h3').textContent()).trim().length > 0, 'a row without a title');
  const first = page.locator('#feed [data-testid=item]').first();
  assert.ok((await first.locator('.title').textContent()).trim().length > 0, 'an item without a title');
  assert.ok(await first.getAttribute('data-recommendation-id'), 'an item without its recommendationId');
  const afterFeed = (await page.locator('#errors').textContent()).trim();
  assert.equal(afterFeed, '', `the page shows errors: ${afterFeed}`);
  // The token is no longer in the address bar.
  assert.ok(!page.url().includes(encodeURIComponent(TOKEN)) && !page.url().includes(TOKEN), 'token left in the URL');
  await shot('example-01-feed');
});

test('rates the first movie 4.5 and says so', async () => {
  const item = page.locator('#feed [data-testid=item]').first();
  const movieId = await item.getAttribute('data-movie-id');
  assert.ok(movieId, 'an item without its movie id');
  await item.getByRole('combobox').selectOption('4.5');
  await item.getByRole('button', { name: /^Rate/ }).click();
  const status = page.locator('#status');
  await status.filter({ hasText: /^(Rated|Could not rate) / }).waitFor();
  const text = (await status.textContent()).trim();
  const errorsShown = (await page.locator('#errors').textContent()).trim();
  assert.match(text, /^Rated .+ 4\.5$/, `status: ${text}; errors: ${errorsShown}`);
  assert.equal(errorsShown, '');
  assert.equal(await status.getAttribute('role'), 'status');

  // The server has it.
  const r = await gql('query($id: ID!) { movie(id: $id) { title myRating } }', { id: movieId });
  assert.equal(r.data?.movie?.myRating, 4.5, JSON.stringify(r));
  assert.equal(text, `Rated ${r.data.movie.title} 4.5`);
  await shot('example-02-rated');
});

test('no page errors and no console errors', () => {
  assert.deepEqual(pageErrors, []);
  assert.deepEqual(consoleErrors, []);
});
