// Shared code of every dashboard page: the API client, the session, the
// navigation and small DOM helpers. Pages build their DOM with el() from
// API data, never by parsing markup, so no value from the API can become markup.
//
// The session is the API token in sessionStorage: it lives in this tab
// only and goes with sign-out. Nothing else about the user is kept between
// page loads, and every request is made with cache: 'no-store', so one
// user's answers are never reused in another's session.
'use strict';

const GA = (() => {
  const TOKEN = 'gahost.token';
  const EXPIRES = 'gahost.expires';

  class APIError extends Error {
    constructor(status, code, message, retryAfter) {
      super(message);
      this.status = status;
      this.code = code || '';
      this.retryAfter = retryAfter || '';
    }
  }

  function token() {
    const exp = sessionStorage.getItem(EXPIRES);
    if (exp && Date.parse(exp) <= Date.now()) {
      clearSession();
      return null;
    }
    return sessionStorage.getItem(TOKEN);
  }

  function setSession(tok, expiresAt) {
    sessionStorage.setItem(TOKEN, tok);
    if (expiresAt) sessionStorage.setItem(EXPIRES, expiresAt);
    else sessionStorage.removeItem(EXPIRES);
  }

  function clearSession() {
    sessionStorage.removeItem(TOKEN);
    sessionStorage.removeItem(EXPIRES);
  }

  // toLogin leaves for the sign-in page, coming back here afterwards.
  function toLogin(reason) {
    const q = new URLSearchParams({ next: location.pathname + location.search });
    if (reason) q.set('why', reason);
    location.replace('/login?' + q.toString());
  }

  // api calls the JSON API and answers {status, data, headers}; an error
  // answer throws an APIError with the API's code and message. A 401 on an
  // authenticated call ends the session.
  async function api(method, path, body, opts) {
    opts = opts || {};
    const headers = { Accept: 'application/json' };
    const tok = token();
    if (tok && !opts.anonymous) headers.Authorization = 'Bearer ' + tok;
    const init = { method, headers, cache: 'no-store', credentials: 'omit', redirect: 'error' };
    if (body !== undefined) {
      headers['Content-Type'] = opts.contentType || 'application/json';
      init.body = typeof body === 'string' ? body : JSON.stringify(body);
    }
    let res;
    try {
      res = await fetch(path, init);
    } catch (e) {
      throw new APIError(0, 'network', 'The daemon could not be reached: ' + e.message);
    }
    let data = null;
    if ((res.headers.get('Content-Type') || '').includes('json')) {
      data = await res.json().catch(() => null);
    }
    if (!res.ok && !(opts.accept && opts.accept.includes(res.status))) {
      const e = (data && data.error) || {};
      const err = new APIError(res.status, e.code, e.message || res.status + ' ' + res.statusText,
        res.headers.get('Retry-After'));
      if (res.status === 401 && tok && !opts.anonymous) {
        clearSession();
        toLogin('expired');
      }
      throw err;
    }
    return { status: res.status, data, headers: res.headers };
  }

  // list reads a list route whole, following X-Next-Cursor where the
  // route pages its answers.
  async function list(path) {
    const out = [];
    let cursor = '';
    for (let i = 0; i < 100; i++) {
      const sep = path.includes('?') ? '&' : '?';
      const r = await api('GET', cursor ? path + sep + 'cursor=' + encodeURIComponent(cursor) : path);
      out.push(...(r.data || []));
      cursor = r.headers.get('X-Next-Cursor');
      if (!cursor) break;
    }
    return out;
  }

  // hasRoute says whether the daemon serves a route, from its OpenAPI
  // document (read once per page): pages leave out what an older daemon
  // lacks instead of calling it. path is the documented template, such as
  // /api/v1/exchange-accounts/{id}/validate.
  let routesP = null;
  function hasRoute(method, path) {
    if (!routesP) {
      routesP = api('GET', '/api/v1/openapi.json', undefined, { anonymous: true })
        .then((r) => r.data.paths || {}, () => null);
    }
    return routesP.then((paths) => !paths || !!(paths[path] && paths[path][method.toLowerCase()]));
  }

  // routeMissing tells an answer of a daemon that lacks the route (an
  // older version) from an error of the route itself.
  function routeMissing(err) {
    return err instanceof APIError && (err.status === 404 || err.status === 405) &&
      (err.code === 'method_not_allowed' || /no such route/i.test(err.message));
  }

  // el builds an element: attrs are properties (on*, class, dataset,
  // aria-*/for/… as attributes); children are nodes or text.
  function el(tag, attrs, ...children) {
    const n = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith('on')) n.addEventListener(k.slice(2), v);
      else if (k === 'class') n.className = v;
      else if (k === 'dataset') Object.assign(n.dataset, v);
      else if (k === 'text') n.textContent = v;
      else if (k in n && !k.includes('-') && k !== 'for' && k !== 'list') n[k] = v;
      else n.setAttribute(k, v === true ? '' : v);
    }
    for (const c of children.flat()) {
      if (c === undefined || c === null || c === false) continue;
      n.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return n;
  }

  function clear(n, ...children) {
    n.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
    return n;
  }

  // table renders rows under headers; each cell is text or a node.
  function table(caption, headers, rows, empty) {
    if (!rows.length) return el('p', { class: 'empty' }, empty || 'Nothing yet.');
    return el('div', { class: 'scroll' },
      el('table', {},
        caption ? el('caption', {}, caption) : null,
        el('thead', {}, el('tr', {}, headers.map((h) => el('th', { scope: 'col' }, h)))),
        el('tbody', {}, rows.map((r) => el('tr', r.attrs || {}, r.cells.map((c) => el('td', {}, c)))))));
  }

  function fmtTime(s) {
    if (!s) return '—';
    const d = new Date(s);
    if (isNaN(d)) return s;
    return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
  }

  // ago says how long ago a time was, for sync times.
  function ago(s) {
    if (!s) return 'never';
    const secs = Math.round((Date.now() - Date.parse(s)) / 1000);
    if (secs < 0) return 'in ' + (-secs) + ' s';
    if (secs < 90) return secs + ' s ago';
    if (secs < 5400) return Math.round(secs / 60) + ' min ago';
    if (secs < 129600) return Math.round(secs / 3600) + ' h ago';
    return Math.round(secs / 86400) + ' d ago';
  }

  // errorText is the message to show for a failed call.
  function errorText(err) {
    if (!(err instanceof APIError)) return String(err && err.message || err);
    let s = err.message;
    if (err.code && err.code !== 'network') s += ' (' + err.code + ')';
    if (err.retryAfter) s += '; try again in ' + err.retryAfter + ' s';
    return s;
  }

  // notice shows a message in the page's alert region (role=alert, read
  // out by screen readers); kind is error, ok or warn.
  function notice(text, kind) {
    const n = document.getElementById('notice');
    if (!n) return;
    clear(n, text ? el('p', { class: 'msg ' + (kind || 'error') }, text) : null);
    if (text) n.scrollIntoView({ block: 'nearest' });
  }

  function fail(err) {
    notice(errorText(err), 'error');
  }

  // busy disables a button while fn runs and reports its error.
  async function busy(button, fn) {
    button.disabled = true;
    try {
      return await fn();
    } catch (err) {
      fail(err);
    } finally {
      button.disabled = false;
    }
  }

  // confirmDialog asks a yes/no question in a modal dialog.
  function confirmDialog(question, yes) {
    return new Promise((resolve) => {
      const d = el('dialog', { class: 'confirm', 'aria-label': question },
        el('form', { method: 'dialog' },
          el('p', {}, question),
          el('div', { class: 'row' },
            el('button', { type: 'submit', value: 'no', class: 'secondary', autofocus: true }, 'Cancel'),
            el('button', { type: 'submit', value: 'yes', class: 'danger' }, yes || 'Confirm'))));
      d.addEventListener('close', () => {
        resolve(d.returnValue === 'yes');
        d.remove();
      });
      document.body.append(d);
      d.showModal();
    });
  }

  // copyButton copies text to the clipboard, with a visible outcome.
  function copyButton(text, label) {
    const b = el('button', { type: 'button', class: 'secondary copy' }, label || 'Copy');
    b.addEventListener('click', async () => {
      try {
        await navigator.clipboard.writeText(text);
        b.textContent = 'Copied';
      } catch (e) {
        b.textContent = 'Select and copy by hand';
      }
      setTimeout(() => { b.textContent = label || 'Copy'; }, 2000);
    });
    return b;
  }

  const links = [
    ['/', 'Overview'], ['/accounts', 'Accounts'], ['/webhooks', 'Webhooks'],
    ['/exchanges', 'Exchanges'], ['/admin', 'Admin', true], ['/password', 'Password'],
  ];

  function nav(me) {
    const top = document.getElementById('top');
    const items = links.filter((l) => !l[2] || me.role === 'admin').map(([href, label]) =>
      el('li', {}, el('a', { href, 'aria-current': location.pathname === href ? 'page' : null }, label)));
    const out = el('button', { type: 'button', id: 'signout', class: 'link' }, 'Sign out');
    out.addEventListener('click', signOut);
    clear(top, el('nav', { 'aria-label': 'Main' },
      el('a', { href: '/', class: 'brand' }, 'gahost'),
      el('ul', {}, items),
      el('span', { class: 'who' }, el('span', { id: 'username' }, me.username),
        me.role === 'admin' ? ' (admin)' : '', ' ', out)));
  }

  // signOut revokes the token where the daemon can, and forgets it here
  // in any case.
  async function signOut() {
    let why = 'out';
    try {
      if (await hasRoute('POST', '/api/v1/auth/logout')) {
        await api('POST', '/api/v1/auth/logout', undefined, { accept: [204] });
      } else {
        why = 'out-local'; // an older daemon cannot revoke: the token only expires
      }
    } catch (err) {
      why = routeMissing(err) ? 'out-local' : 'out';
    }
    clearSession();
    location.replace('/login?why=' + why);
  }

  // start runs a page that needs a signed-in user: page(me) once /me has
  // answered. adminOnly pages tell other users so instead.
  function start(page, adminOnly) {
    document.addEventListener('DOMContentLoaded', async () => {
      if (!token()) {
        toLogin();
        return;
      }
      let me;
      try {
        me = (await api('GET', '/api/v1/me')).data;
      } catch (err) {
        fail(err);
        return;
      }
      nav(me);
      if (adminOnly && me.role !== 'admin') {
        notice('This page is for admins.', 'warn');
        return;
      }
      try {
        await page(me);
      } catch (err) {
        fail(err);
      }
    });
  }

  // budgetText shows how much of each per-IP rate budget pool is in use
  // over the exchange's current window.
  function budgetText(pools) {
    if (!pools || pools.length === 0) return 'no per-IP limit declared';
    return pools.map((p) => p.pool + ': ' + p.used + ' / ' + p.limit + ' per ' +
      (p.window_ms / 1000) + ' s (' + p.used_percent + '%)').join('; ');
  }

  // exchangesTable lists the exchange plugins as GET /exchanges gives them.
  function exchangesTable(list) {
    return table(null, ['Exchange', 'Status', 'Version', 'Restarts', 'Needs', 'Capabilities', 'Rate budget in use'],
      list.map((x) => ({
        attrs: { dataset: { exchange: x.name } },
        cells: [
          (x.display_name || x.name) + ' (' + x.name + ')',
          el('div', {}, el('span', { class: 'badge ' + x.status }, x.status), x.last_error ? el('div', {}, x.last_error) : null),
          x.plugin_version + (x.sdk_version ? ' (sdk ' + x.sdk_version + ')' : ''),
          String(x.restarts),
          [x.requires_passphrase ? 'passphrase' : '', x.supports_testnet ? 'testnet available' : ''].filter(Boolean).join(', ') || '—',
          (x.capabilities || []).join(', '),
          budgetText(x.budget),
        ],
      })), 'No exchange plugin is loaded.');
  }

  return {
    APIError, exchangesTable, api, list, hasRoute, routeMissing, el, clear, table, fmtTime, ago, errorText, notice, fail, busy,
    confirmDialog, copyButton, start, setSession, clearSession, token,
  };
})();
