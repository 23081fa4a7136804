// Marquee example client: plain JavaScript, no build step, no server of its own.
//
// Open index.html as a file, with ?api=http://127.0.0.1:8080/graphql&token=<user JWT> or fill in
// the form. It asks who the token's user is and for their home feed, and rates movies with
// `rateMovie`. Everything inserted into the page goes through textContent (never innerHTML), so
// titles and reasons from the API cannot inject markup.
//
// A classic deferred script rather than an ES module, because browsers refuse module scripts
// from file:// URLs; it is written as a module would be (strict, nothing global).
'use strict';

(() => {
  const DEFAULT_API = 'http://127.0.0.1:8080/graphql';

  // The operations, as a typed client would keep them (docs/clients.md). Named, so the server's
  // metrics and logs can tell them apart.
  const HOME_QUERY = `query ExampleHome($rows: Int!, $itemsPerRow: Int!) {
  me { externalId }
  homeFeed(rows: $rows, itemsPerRow: $itemsPerRow) {
    rows {
      key
      title
      items {
        recommendationId
        reason { text }
        movie { id title year myRating }
      }
    }
  }
}`;

  const RATE_MUTATION = `mutation ExampleRate($movieId: ID!, $score: Float!) {
  rateMovie(input: { movieId: $movieId, score: $score }) {
    rating {
      score
      movie { id title myRating }
    }
  }
}`;

  const SCORES = [0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5];

  /** Errors to show: each with the server's `extensions.code` (or a client-side one). */
  class ApiError extends Error {
    constructor(errors) {
      super(errors.map((e) => `${e.code}: ${e.message}`).join('; '));
      this.errors = errors;
    }
  }

  const $ = (id) => document.getElementById(id);

  /** One error as shown: code, message, and the retry hint when the server gives one. */
  function normalizeError(e) {
    const ext = (e && e.extensions) || {};
    return {
      code: typeof ext.code === 'string' ? ext.code : 'UNKNOWN',
      message: String((e && e.message) || 'unknown error'),
      path: Array.isArray(e && e.path) ? e.path.join('.') : null,
      retryAfterMs: ext.retryable && typeof ext.retryAfterMs === 'number' ? ext.retryAfterMs : null,
    };
  }

  /**
   * POSTs one GraphQL operation. Resolves to { data, errors } (errors normalised); throws an
   * ApiError when no GraphQL answer came back (network failure, a body that is not JSON).
   */
  async function graphql(api, token, query, variables, operationName) {
    let res;
    try {
      res = await fetch(api, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/graphql-response+json, application/json',
          authorization: `Bearer ${token}`,
        },
        body: JSON.stringify({ query, variables, operationName }),
      });
    } catch (e) {
      throw new ApiError([{
        code: 'NETWORK_ERROR',
        message: `could not reach ${api} (${e.message}). Is the server running, and does ` +
          'server.cors_allowed_origins let this page call it?',
        path: null,
        retryAfterMs: null,
      }]);
    }
    const text = await res.text();
    let body = null;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON: handled below
    }
    if (!body || typeof body !== 'object' || (!('data' in body) && !Array.isArray(body.errors))) {
      throw new ApiError([{
        code: `HTTP_${res.status}`,
        message: text.trim().slice(0, 200) || res.statusText || 'no GraphQL answer',
        path: null,
        retryAfterMs: null,
      }]);
    }
    return {
      data: body.data ?? null,
      errors: Array.isArray(body.errors) ? body.errors.map(normalizeError) : [],
    };
  }

  // ---------------------------------------------------------------------------------------
  // Rendering (textContent only)

  function el(tag, props = {}, children = []) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props)) {
      if (value === null || value === undefined) continue;
      if (key === 'text') node.textContent = String(value);
      else if (key === 'dataset') Object.assign(node.dataset, value);
      else if (key === 'className') node.className = value;
      else node.setAttribute(key, String(value));
    }
    for (const child of children) node.append(child);
    return node;
  }

  function setStatus(message) {
    $('status').textContent = message;
  }

  function showErrors(errors) {
    const box = $('errors');
    box.replaceChildren();
    if (!errors.length) return;
    const list = el('ul', { className: 'error-list' });
    for (const e of errors) {
      const item = el('li', {}, [el('code', { className: 'error-code', text: e.code }), ` ${e.message}`]);
      if (e.path) item.append(el('span', { className: 'error-path', text: ` (at ${e.path})` }));
      if (e.retryAfterMs !== null) {
        item.append(el('span', { className: 'error-retry', text: ` Retryable: try again in ${e.retryAfterMs} ms.` }));
      }
      list.append(item);
    }
    box.append(list);
  }

  const formatScore = (score) => String(score);

  function ratingControl(movie, rowIndex, itemIndex) {
    const id = `rate-${rowIndex}-${itemIndex}`;
    const select = el('select', { id, name: id });
    select.append(el('option', { value: '', text: 'Choose…' }));
    for (const s of SCORES) {
      const option = el('option', { value: String(s), text: `${formatScore(s)} ★` });
      if (movie.myRating === s) option.selected = true;
      select.append(option);
    }
    const button = el('button', { type: 'button', 'aria-label': `Rate ${movie.title}`, text: 'Rate' });
    const mine = el('p', {
      className: 'my-rating',
      text: movie.myRating === null || movie.myRating === undefined
        ? 'Not rated yet'
        : `Your rating: ${formatScore(movie.myRating)}`,
    });
    button.addEventListener('click', () => rate(movie, select, button, mine));
    return el('div', { className: 'rate' }, [
      el('label', { for: id, text: `Your rating for ${movie.title}` }),
      el('div', { className: 'rate-controls' }, [select, button]),
      mine,
    ]);
  }

  function renderFeed(feed) {
    const container = $('feed');
    container.replaceChildren();
    const rows = (feed && feed.rows) || [];
    if (!rows.length) {
      container.append(el('p', { className: 'empty', text: 'The feed is empty.' }));
      return;
    }
    rows.forEach((row, r) => {
      const headingId = `row-${r}-title`;
      const list = el('ol', { className: 'items' });
      row.items.forEach((item, i) => {
        const m = item.movie;
        list.append(el('li', {
          className: 'item',
          dataset: { testid: 'item', movieId: m.id, recommendationId: item.recommendationId },
        }, [
          el('h4', { className: 'title', text: m.year ? `${m.title} (${m.year})` : m.title }),
          el('p', { className: 'reason', text: item.reason.text }),
          el('p', { className: 'recommendation-id' }, [
            'recommendationId ',
            el('code', { text: item.recommendationId }),
          ]),
          ratingControl(m, r, i),
        ]));
      });
      container.append(el('section', {
        className: 'row',
        'aria-labelledby': headingId,
        dataset: { testid: 'row', key: row.key },
      }, [el('h3', { id: headingId, text: row.title }), list]));
    });
  }

  // ---------------------------------------------------------------------------------------
  // Actions

  let connection = null; // { api, token } once connected

  async function connect(api, token) {
    showErrors([]);
    const feed = $('feed');
    feed.setAttribute('aria-busy', 'true');
    $('connect').disabled = true;
    setStatus('Loading…');
    try {
      const { data, errors } = await graphql(api, token, HOME_QUERY, { rows: 3, itemsPerRow: 5 }, 'ExampleHome');
      const externalId = (data && data.me && data.me.externalId) || '';
      connection = externalId ? { api, token } : null;
      $('me').textContent = externalId;
      if (data && data.homeFeed) renderFeed(data.homeFeed);
      else feed.replaceChildren(el('p', { className: 'empty', text: 'No feed.' }));
      showErrors(errors);
      if (!connection) setStatus('Not connected');
      else setStatus(errors.length ? 'Connected, with errors' : 'Connected');
    } catch (e) {
      showErrors(e instanceof ApiError ? e.errors : [normalizeError(e)]);
      setStatus('Not connected');
    } finally {
      feed.setAttribute('aria-busy', 'false');
      $('connect').disabled = false;
    }
  }

  async function rate(movie, select, button, mine) {
    if (!connection) return;
    if (!select.value) {
      showErrors([{ code: 'CHOOSE_A_SCORE', message: `choose a score for ${movie.title} first`, path: null, retryAfterMs: null }]);
      select.focus();
      return;
    }
    const score = Number(select.value);
    showErrors([]);
    button.disabled = true;
    try {
      const { data, errors } = await graphql(
        connection.api, connection.token, RATE_MUTATION, { movieId: movie.id, score }, 'ExampleRate');
      showErrors(errors);
      const rating = data && data.rateMovie && data.rateMovie.rating;
      if (rating) {
        mine.textContent = `Your rating: ${formatScore(rating.score)}`;
        setStatus(`Rated ${rating.movie.title} ${formatScore(rating.score)}`);
      } else {
        setStatus(`Could not rate ${movie.title}`);
      }
    } catch (e) {
      showErrors(e instanceof ApiError ? e.errors : [normalizeError(e)]);
      setStatus(`Could not rate ${movie.title}`);
    } finally {
      button.disabled = false;
    }
  }

  /** Reads and checks the form; shows what is wrong and returns null when something is. */
  function readForm() {
    const api = $('api').value.trim();
    const token = $('token').value.trim().replace(/^Bearer\s+/i, '');
    const problems = [];
    let url = null;
    try {
      url = new URL(api);
    } catch {
      // reported below
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      problems.push({ code: 'BAD_API_URL', message: 'the endpoint must be an http(s) URL, e.g. ' + DEFAULT_API, path: null, retryAfterMs: null });
    }
    if (!token) {
      problems.push({ code: 'NO_TOKEN', message: 'paste a user token (marquee token --user demo-0001)', path: null, retryAfterMs: null });
    }
    if (problems.length) {
      showErrors(problems);
      return null;
    }
    return { api, token };
  }

  function start() {
    const params = new URLSearchParams(window.location.search);
    const api = params.get('api');
    const token = params.get('token');
    if (api) $('api').value = api;
    if (token) {
      $('token').value = token;
      // Keep the token out of the address bar and history from here on.
      params.delete('token');
      try {
        const rest = params.toString();
        window.history.replaceState(null, '', window.location.pathname + (rest ? `?${rest}` : '') + window.location.hash);
      } catch {
        // some browsers refuse history changes on file:// pages; nothing else depends on it
      }
    }
    $('connect-form').addEventListener('submit', (event) => {
      event.preventDefault();
      const form = readForm();
      if (form) connect(form.api, form.token);
    });
    if (token) {
      const form = readForm();
      if (form) connect(form.api, form.token);
    }
  }

  start();
})();
