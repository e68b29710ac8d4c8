// The overview: the main account's summary, balances, futures account,
// positions and history chart, its sync state with "sync now", and the
// selector that makes another account the main one. Amounts are shown as
// the API's exact decimal strings; only the chart turns them into numbers,
// to draw them.
'use strict';

GA.start(async () => {
  const { el, clear, api } = GA;
  const $ = (id) => document.getElementById(id);
  let accounts = [];
  let main = null;
  let hours = 168;
  let chart = null;
  let syncing = false;

  // label turns an API field name into a heading: pnl_24h -> P&L 24h.
  const label = (k) => k.split('_').map((w) => ({ pnl: 'P&L', usdt: 'USDT', upnl: 'Unrealized P&L' }[w] || w))
    .join(' ').replace(/^./, (c) => c.toUpperCase());
  const sign = (v) => (typeof v === 'string' && v.startsWith('-') ? 'neg' : /^[0-9.]+$/.test(String(v)) && Number(v) > 0 ? 'pos' : '');
  const card = (key, k, v) => el('div', { class: 'card', dataset: { key } },
    el('div', { class: 'k' }, k), el('div', { class: 'v ' + (/pnl/.test(key) ? sign(v) : '') }, v === null ? '—' : String(v)));

  async function loadAccounts() {
    accounts = await GA.list('/api/v1/exchange-accounts');
    main = accounts.find((a) => a.is_main) || null;
    const sel = $('main-select');
    // A refresh must not undo a pick the user has not confirmed yet.
    const picked = sel.dataset.touched ? sel.value : '';
    clear(sel, accounts.map((a) => el('option', { value: a.id, selected: a.is_main },
      a.name + ' (' + a.exchange + (a.testnet ? ', testnet' : '') + ')' + (a.is_main ? ' — main' : ''))));
    if (picked && accounts.some((a) => a.id === picked)) sel.value = picked;
    $('main-form').hidden = accounts.length === 0;
    renderSync();
  }

  function renderSync() {
    const box = $('sync');
    if (!main) {
      clear(box, el('p', { class: 'empty' }, accounts.length ? 'No main account: pick one above.' : 'No exchange account yet. ',
        accounts.length ? null : el('a', { href: '/accounts' }, 'Add one')));
      return;
    }
    if (syncing) return;
    const s = main.sync || {};
    const btn = el('button', { type: 'button', id: 'sync-now', disabled: !main.is_active }, 'Sync now');
    btn.addEventListener('click', () => syncNow(btn));
    clear(box, el('div', { class: 'row' },
      el('span', {}, 'Last sync: ', el('span', { class: 'badge ' + s.status, id: 'sync-status' }, s.status || 'unknown'), ' ',
        el('time', { dateTime: s.last_sync_at || '', title: GA.fmtTime(s.last_sync_at), id: 'last-sync' }, GA.ago(s.last_sync_at))),
      main.is_active ? null : el('span', { class: 'badge disabled' }, 'inactive: not synced'),
      btn),
    s.last_error ? el('p', { class: 'msg error', id: 'sync-error' }, s.last_error) : null,
    s.failed_parts && s.failed_parts.length ? el('p', { class: 'msg warn' }, 'Failed parts: ' + s.failed_parts.join(', ')) : null);
  }

  async function syncNow(btn) {
    syncing = true;
    btn.disabled = true;
    const secs = el('span', { id: 'sync-progress-text' }, 'Syncing… 0 s');
    const started = Date.now();
    const tick = setInterval(() => { secs.textContent = 'Syncing… ' + Math.round((Date.now() - started) / 1000) + ' s'; }, 500);
    $('sync').append(el('div', { class: 'row', id: 'sync-progress' },
      el('progress', { 'aria-label': 'Sync in progress' }), secs));
    try {
      const r = await api('POST', '/api/v1/exchange-accounts/' + encodeURIComponent(main.id) + '/sync');
      const s = r.data.sync || {};
      GA.notice('Sync finished: ' + s.status + (s.last_error ? ' — ' + s.last_error : ''), s.status === 'ok' ? 'ok' : 'warn');
    } catch (err) {
      GA.fail(err);
    } finally {
      clearInterval(tick);
      syncing = false;
    }
    await refresh(true);
  }

  const hasSummary = await GA.hasRoute('GET', '/api/v1/dashboard/summary');

  // get reads a dashboard route of the main account; null when there is
  // none (the dashboard routes answer 404 then).
  async function get(path) {
    if (!main) return null;
    try {
      return (await api('GET', path)).data;
    } catch (err) {
      if (err.status !== 404) throw err;
      return null;
    }
  }

  // pnlCard shows one P&L window: the amount and percentage, or why
  // there is none.
  function pnlCard(key, title, w) {
    if (!w || w.pnl_usdt === null || w.pnl_usdt === undefined) {
      return el('div', { class: 'card', dataset: { key }, title: (w && w.missing) || '' },
        el('div', { class: 'k' }, title), el('div', { class: 'v' }, '—'),
        el('div', { class: 'why' }, (w && w.missing) || ''));
    }
    return el('div', { class: 'card', dataset: { key } }, el('div', { class: 'k' }, title),
      el('div', { class: 'v ' + sign(w.pnl_usdt) }, w.pnl_usdt + ' USDT'),
      el('div', { class: 'why ' + sign(w.pnl_percent) }, w.pnl_percent === null ? '' : w.pnl_percent + ' %'));
  }

  // valued is a USDT amount, or a dash with the reason it has none.
  function valued(key, title, v, why) {
    return el('div', { class: 'card', dataset: { key }, title: v === null ? (why || '') : '' },
      el('div', { class: 'k' }, title), el('div', { class: 'v' }, v === null || v === undefined ? '—' : v),
      v === null && why ? el('div', { class: 'why' }, why) : null);
  }

  let values = new Map();

  async function loadBalances() {
    const b = await get('/api/v1/dashboard/balances');
    const sum = hasSummary ? await get('/api/v1/dashboard/summary') : null;
    const cards = [];
    values = new Map(((b && b.values) || []).map((v) => [v.asset, v]));
    if (b && b.account_id) {
      cards.push(valued('equity_usdt', 'Equity (USDT)', b.equity_usdt, b.equity_missing));
      const pnl = b.pnl || {};
      cards.push(pnlCard('pnl_24h', 'P&L 24 h', pnl['24h']), pnlCard('pnl_7d', 'P&L 7 d', pnl['7d']),
        pnlCard('pnl_30d', 'P&L 30 d', pnl['30d']));
      cards.push(valued('spot_value_usdt', 'Spot value (USDT)', b.spot_value_usdt, null));
      if (b.futures) cards.push(card('futures_margin_balance', 'Futures margin balance (' + b.futures.asset + ')', b.futures.margin_balance));
      cards.push(card('unrealized_pnl_usdt', 'Unrealized P&L (USDT)', b.unrealized_pnl_usdt));
      cards.push(card('positions_count', 'Open positions', b.positions_count));
      cards.push(card('synced_at', 'Synced', GA.fmtTime(b.synced_at)));
      if (b.prices_at) cards.push(card('prices_at', 'Prices read', GA.fmtTime(b.prices_at)));
    }
    if (sum && sum.total && sum.accounts && sum.accounts.length > 1) {
      cards.push(valued('total_equity_usdt', 'All ' + sum.total.accounts + ' active accounts (USDT)',
        sum.total.equity_usdt, sum.total.equity_missing));
    }
    clear($('summary'), cards.length ? cards : el('p', { class: 'empty' }, 'Nothing to show until the main account has synced.'));

    const spot = (b && b.spot) || [];
    clear($('spot'), GA.table(null, ['Asset', 'Free', 'Locked', 'Total', 'Value (USDT)'], spot.map((x) => {
      const v = values.get(x.asset);
      const value = !v ? '' : v.value_usdt !== null ? v.value_usdt : el('span', { title: v.missing || '' }, '— (' + (v.missing || 'no price') + ')');
      return { attrs: { dataset: { asset: x.asset } }, cells: [x.asset, x.free, x.locked, x.total, value] };
    }), b && b.synced_at ? 'No spot balance.' : 'Not synced yet.'));
    const f = b && b.futures;
    clear($('futures'), f
      ? el('div', { class: 'cards', id: 'futures-cards' },
        card('asset', 'Asset', f.asset), card('wallet_balance', 'Wallet balance', f.wallet_balance),
        card('unrealized_pnl', 'Unrealized P&L', f.unrealized_pnl), card('margin_balance', 'Margin balance', f.margin_balance),
        card('available_balance', 'Available', f.available_balance))
      : el('p', { class: 'empty' }, 'No futures account read yet.'));
  }

  async function loadPositions() {
    const p = await get('/api/v1/dashboard/positions');
    const list = (p && p.positions) || [];
    clear($('positions'), GA.table(null,
      ['Symbol', 'Side', 'Size', 'Entry', 'Mark', 'Unrealized P&L', 'Leverage', 'Liquidation', 'Margin'],
      list.map((x) => ({
        attrs: { dataset: { symbol: x.symbol } },
        cells: [x.symbol, x.side, x.size, x.entry_price, x.mark_price,
          el('span', { class: sign(x.unrealized_pnl) }, x.unrealized_pnl), x.leverage, x.liquidation_price, x.margin_mode],
      })), 'No open position.'));
  }

  // The series the chart draws, in this order, where the points carry them.
  const seriesKeys = ['equity_usdt', 'spot_total_usdt', 'futures_margin_balance', 'unrealized_pnl'];
  const colors = ['#1f5f8b', '#1a7f37', '#8250df', '#cf222e', '#9a6700'];

  async function loadChart() {
    const box = $('chart');
    if (!main) {
      if (chart) chart.destroy();
      chart = null;
      clear(box);
      return;
    }
    const from = new Date(Date.now() - hours * 3600e3).toISOString();
    const h = await get('/api/v1/dashboard/history?from=' + encodeURIComponent(from));
    const points = (h && h.points) || [];
    if (chart) chart.destroy();
    chart = null;
    if (points.length < 2 || typeof uPlot === 'undefined') {
      clear(box, el('p', { class: 'empty' }, points.length ? 'One point so far; the chart needs two.' : 'No history in this range yet.'));
      return;
    }
    const keys = seriesKeys.filter((k) => points.some((p) => p[k] !== undefined && p[k] !== null));
    const data = [points.map((p) => Date.parse(p.at) / 1000)];
    for (const k of keys) data.push(points.map((p) => (p[k] === undefined || p[k] === null ? null : Number(p[k]))));
    clear(box);
    chart = new uPlot({
      width: Math.max(box.clientWidth, 280),
      height: 260,
      series: [{}].concat(keys.map((k, i) => ({ label: label(k), stroke: colors[i % colors.length], width: 2 }))),
      axes: [{}, { size: 70 }],
    }, data, box);
  }
  window.addEventListener('resize', () => {
    if (chart) chart.setSize({ width: Math.max($('chart').clientWidth, 280), height: 260 });
  });
  for (const b of document.querySelectorAll('button.range')) {
    b.addEventListener('click', async () => {
      hours = Number(b.dataset.hours);
      for (const o of document.querySelectorAll('button.range')) o.setAttribute('aria-pressed', String(o === b));
      await loadChart().catch(GA.fail);
    });
  }

  $('main-select').addEventListener('change', () => { $('main-select').dataset.touched = '1'; });
  $('main-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const id = $('main-select').value;
    delete $('main-select').dataset.touched;
    if (!id || (main && id === main.id)) return;
    await GA.busy($('make-main'), async () => {
      const r = await api('PATCH', '/api/v1/exchange-accounts/' + encodeURIComponent(id), { is_main: true });
      GA.notice(r.data.name + ' is now the main account.', 'ok');
      await refresh(true);
    });
  });

  async function refresh(withChart) {
    await loadAccounts();
    await Promise.all([loadBalances(), loadPositions(), withChart ? loadChart() : null]);
    document.body.dataset.loaded = String(Date.now());
  }
  await refresh(true);
  // The scheduler syncs on its own; show its results as they land.
  setInterval(() => { if (!syncing && !document.hidden) refresh(false).catch(GA.fail); }, 15000);
});
