// GraphiQL at /graphiql, served from the binary: it must load with no network beyond the server
// (every request the page makes stays on its origin), under the console's content security
// policy (no violation reported), and run a query.
//
//   MARQUEE_URL=http://127.0.0.1:8080 node --test e2e/graphiql.spec.mjs   (from admin-ui/)
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { launch } from './chromium.mjs';

const BASE = (process.env.MARQUEE_URL ?? 'http://127.0.0.1:8080').replace(/\/$/, '');

let browser;
let page;
const problems = [];
const elsewhere = [];

before(async () => {
  browser = await launch('graphiql-e2e', 20000);
  page = await browser.context.newPage();
  page.on('pageerror', (e) => problems.push(`page error: ${e}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
  });
  page.on('request', (r) => {
    const url = new URL(r.url());
    if (url.origin !== BASE && url.protocol !== 'data:') elsewhere.push(r.url());
  });
});

after(async () => {
  await browser?.close();
});

test('GraphiQL loads from the server alone and runs a query', async () => {
  const res = await page.goto(`${BASE}/graphiql`);
  assert.equal(res.status(), 200);
  assert.match(res.headers()['content-security-policy'] ?? '', /script-src 'self'/);
  await page.locator('.graphiql-container').waitFor();
  // Its schema came through introspection: the documentation explorer lists the root types.
  const editor = page.locator('.graphiql-query-editor .CodeMirror').first();
  await editor.waitFor();
  await page.evaluate(() => {
    const cm = document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror;
    cm.setValue('{ genres { movieCount } }');
  });
  await page.locator('.graphiql-execute-button').click();
  await page.locator('.graphiql-response').filter({ hasText: 'movieCount' }).waitFor();
  assert.deepEqual(elsewhere, [], 'GraphiQL fetched from another origin');
  assert.deepEqual(problems, []);
});
