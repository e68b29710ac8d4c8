// The webhooks page: the user's webhooks with their deliveries, and the
// form that creates one. A new webhook's URL and secret are shown once,
// with copy buttons and the alert messages to paste into TradingView; any
// webhook shows its URL, the messages and a form that tests an alert
// against the account's real data and the exchange's current prices
// (POST /api/v1/webhooks/{id}/test: nothing is placed, every limit is
// shown with its verdict).
'use strict';

GA.start(async () => {
  const { el, clear, api } = GA;
  const $ = (id) => document.getElementById(id);
  let accounts = [];
  const accountName = (id) => {
    const a = accounts.find((x) => x.id === id);
    return a ? a.name + ' (' + a.exchange + ')' : id;
  };
  const hookPath = (w, rest) => '/api/v1/webhooks/' + encodeURIComponent(w.id) + (rest || '');

  async function load() {
    const list = await GA.list('/api/v1/webhooks');
    clear($('webhooks'), GA.table(null, ['Name', 'Account', 'Market', 'Limits', 'URL', 'Actions'], list.map((w) => ({
      attrs: { dataset: { id: w.id } },
      cells: [
        el('span', {}, w.name, w.dry_run ? el('span', { class: 'badge pending' }, ' dry run') : null),
        accountName(w.exchange_account_id),
        w.market,
        (w.allowed_symbols.length ? w.allowed_symbols.join(', ') : 'any symbol') +
          (w.max_notional ? '; at most ' + w.max_notional + ' per order' : ''),
        el('code', {}, w.url_hint + '…'),
        el('div', { class: 'row' },
          el('button', { type: 'button', class: 'secondary', 'aria-label': 'Deliveries of ' + w.name,
            onclick: (ev) => GA.busy(ev.currentTarget, () => deliveries(w)) }, 'Deliveries'),
          el('button', { type: 'button', class: 'secondary', 'aria-label': 'Template and test of ' + w.name,
            onclick: (ev) => GA.busy(ev.currentTarget, () => details(w)) }, 'Template & test'),
          el('button', { type: 'button', class: 'danger', 'aria-label': 'Delete ' + w.name,
            onclick: async (ev) => {
              if (!await GA.confirmDialog('Delete the webhook "' + w.name + '"? Alerts sent to its URL stop working.', 'Delete')) return;
              await GA.busy(ev.target, async () => {
                await api('DELETE', hookPath(w), undefined, { accept: [204] });
                clear($('deliveries'));
                GA.notice('Webhook deleted.', 'ok');
                await load();
              });
            } }, 'Delete')),
      ],
    })), 'No webhook yet.'));
  }

  async function deliveries(w) {
    const list = (await api('GET', hookPath(w, '/deliveries?limit=50'))).data || [];
    clear($('deliveries'), el('h3', { id: 'deliveries-h', tabindex: '-1' }, 'Deliveries of ' + w.name),
      GA.table('Newest first', ['Received', 'Status', 'Alert', 'Order', 'Error'], list.map((d) => ({
        cells: [GA.fmtTime(d.received_at), el('span', { class: 'badge' }, d.status),
          [d.action, d.resolution && d.resolution.ticker !== d.symbol ? d.resolution.ticker + ' → ' + d.symbol : d.symbol,
            d.alert_id].filter(Boolean).join(' '),
          d.order ? orderText(d.order) : '',
          d.error ? d.error.code + ': ' + d.error.message : (d.duplicate_of ? 'duplicate of ' + d.duplicate_of : '')],
      })), 'No alert received yet.'));
    $('deliveries-h').focus();
  }

  function orderText(o) {
    return [o.side, o.type, o.quantity || (o.quote_quantity && o.quote_quantity + ' quote'), o.symbol, o.market,
      o.price && '@ ' + o.price, o.reduce_only && 'reduce only', o.status, o.exchange_order_id && '#' + o.exchange_order_id]
      .filter(Boolean).join(' ');
  }

  // testForm judges an alert with POST /api/v1/webhooks/{id}/test: the
  // account's latest snapshot and the exchange's current instruments and
  // prices, nothing placed, whether the webhook is a dry run or not.
  function testForm(w) {
    const symbol = w.allowed_symbols[0] || (w.market === 'spot' ? 'BTCUSDT' : 'BTCUSDT.P');
    const result = el('div', { id: 'test-result', 'aria-live': 'polite' });
    const test = el('form', { class: 'stack narrow', id: 'test-form' },
      el('label', { for: 'test-action' }, 'Action'),
      el('select', { id: 'test-action', name: 'action' }, ['buy', 'sell', 'close'].map((a) => el('option', { value: a }, a))),
      el('label', { for: 'test-symbol' }, 'Symbol'),
      el('input', { id: 'test-symbol', name: 'symbol', value: symbol, required: true, 'aria-describedby': 'test-symbol-help' }),
      el('small', { id: 'test-symbol-help' }, 'As TradingView sends it (BTCUSDT, BTCUSDT.P, BINANCE:BTCUSDT.P), the exchange\'s own name, or a unified symbol.'),
      el('label', { for: 'test-type' }, 'Order type'),
      el('select', { id: 'test-type', name: 'type' }, ['market', 'limit'].map((a) => el('option', { value: a }, a))),
      el('label', { for: 'test-price' }, 'Limit price (limit orders)'),
      el('input', { id: 'test-price', name: 'price', inputmode: 'decimal' }),
      el('label', { for: 'test-quantity' }, 'Quantity'),
      el('input', { id: 'test-quantity', name: 'quantity', value: '0.001', inputmode: 'decimal' }),
      el('p', {}, 'Nothing is placed: the answer shows what the alert would send now, and every limit with its verdict.'),
      el('button', { type: 'submit', id: 'test-submit' }, 'Test with real data'));
    test.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      await GA.busy($('test-submit'), async () => {
        const alert = { action: test.action.value, symbol: test.symbol.value.trim(), type: test.type.value };
        if (alert.action === 'close') alert.type = 'market';
        else alert.quantity = test.quantity.value.trim();
        if (alert.type === 'limit') alert.price = test.price.value.trim();
        // An alert that cannot be read is answered 400 with the verdict.
        const r = await api('POST', hookPath(w, '/test'), alert, { accept: [400] });
        clear(result, verdict(r.data || {}));
        await deliveries(w);
      });
    });
    return el('div', {}, el('h3', {}, 'Test with real data'), test, result);
  }

  // verdict shows a test's answer: the match, the order as rounded, the
  // notional and each check.
  function verdict(t) {
    const o = t.order;
    const facts = [
      ['Symbol', t.resolution ? t.resolution.ticker + ' → ' + (t.resolution.symbol || '?') +
        (t.resolution.native ? ' (' + t.resolution.native + ', ' + t.resolution.method + ')' : '') : '—'],
      ['Order', o ? orderText(o) : '—'],
      ['Quantity', o && o.quantity ? (t.requested && t.requested.quantity && t.requested.quantity !== o.quantity
        ? t.requested.quantity + ' → ' + o.quantity : o.quantity) +
        (t.instrument ? ' (lot step ' + t.instrument.lot_step + ')' : '') : '—'],
      ['Price', o && o.price ? (t.requested && t.requested.price && t.requested.price !== o.price
        ? t.requested.price + ' → ' + o.price : o.price) + (t.instrument ? ' (tick ' + t.instrument.tick_size + ')' : '') : '—'],
      ['Market price', t.price ? t.price.value + ' (' + t.price.source + ')' : 'unknown'],
      ['Notional', t.notional || 'unknown'],
    ];
    return el('div', { id: 'test-verdict' },
      el('p', { class: 'msg ' + (t.would_place ? 'ok' : 'warn'), id: 'test-outcome' },
        t.would_place ? 'This alert would place the order below now.'
          : 'This alert would be refused' + (t.error ? ': ' + t.error.code + ' — ' + t.error.message : '.')),
      el('dl', { class: 'facts' }, facts.map(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]).flat()),
      GA.table('Checks', ['Check', 'Result', 'Detail'], (t.checks || []).map((c) => ({
        attrs: { dataset: { check: c.name } },
        cells: [c.name, el('span', { class: 'badge ' + (c.passed ? 'ok' : 'error') }, c.passed ? 'pass' : 'fail'),
          (c.code ? c.code + ': ' : '') + c.detail],
      })), 'No check ran: the alert could not be read.'),
      el('details', {}, el('summary', {}, 'The whole answer'), el('pre', { id: 'test-answer' }, JSON.stringify(t, null, 2))));
  }

  // fullURL is where TradingView must send alerts: the answer's url when
  // the daemon knows its public address, else this page's origin in front
  // of the path (with the daemon's reason shown).
  function fullURL(w, path) {
    return w.url_absolute ? path : location.origin + path;
  }

  // templatePanel shows the alert messages to paste into TradingView.
  function templatePanel(w) {
    const tv = w.tradingview || {};
    return el('div', {},
      el('h3', {}, 'Alert message for TradingView'),
      tv.secret_included ? null : el('p', { class: 'msg warn' }, 'Replace the secret placeholder with the webhook\'s secret.'),
      el('p', {}, 'Strategy alert:'),
      el('pre', { id: 'hook-template' }, tv.message || ''), GA.copyButton(tv.message || '', 'Copy strategy message'),
      el('p', {}, 'Indicator alert (write the action and quantity; one alert per action):'),
      el('pre', { id: 'hook-indicator-template' }, tv.indicator_message || ''),
      GA.copyButton(tv.indicator_message || '', 'Copy indicator message'),
      el('p', { id: 'hook-notes' }, tv.notes || ''));
  }

  function urlNote(w) {
    return w.url_absolute ? null : el('p', { class: 'msg warn', id: 'hook-url-note' }, w.url_note);
  }

  // details is what GET /webhooks/{id} shows of a webhook at any time: its
  // URL (the token part is only shown when made), the template and the
  // test form.
  async function details(w) {
    const d = (await api('GET', hookPath(w))).data;
    const base = fullURL(d, d.url_base);
    clear($('created'), el('div', { class: 'panel', id: 'hook-details' },
      el('h3', { id: 'details-h', tabindex: '-1' }, d.name),
      el('p', {}, 'URL: ', el('code', { id: 'hook-url-base' }, base + d.url_hint.slice(d.url_hint.lastIndexOf('/') + 1)),
        ' (the token was shown once, when it was made; rotate it for a new one)'),
      urlNote(d), templatePanel(d), testForm(d)));
    $('details-h').focus();
  }

  // shown is what only a create answer carries: the url and secret, with
  // the template (secret filled in) and the test form.
  function shown(w) {
    const url = fullURL(w, w.url);
    return el('div', { class: 'panel', id: 'new-hook' },
      el('p', { class: 'msg warn' }, 'Copy the URL and secret now: they are not shown again.'),
      el('p', {}, 'URL: ', el('span', { class: 'secret', id: 'hook-url' }, url), ' ', GA.copyButton(url, 'Copy URL')),
      urlNote(w),
      el('p', {}, 'Secret: ', el('span', { class: 'secret', id: 'hook-secret' }, w.secret), ' ', GA.copyButton(w.secret, 'Copy secret')),
      templatePanel(w), testForm(w));
  }

  const form = $('hook-form');
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    GA.notice('');
    await GA.busy($('hook-submit'), async () => {
      const body = {
        name: form.name.value.trim(), exchange_account_id: form.exchange_account_id.value, market: form.market.value,
        allowed_symbols: form.allowed_symbols.value.split(',').map((s) => s.trim()).filter(Boolean),
        dry_run: form.dry_run.checked,
      };
      if (form.max_notional.value.trim()) body.max_notional = form.max_notional.value.trim();
      const r = await api('POST', '/api/v1/webhooks', body);
      form.reset();
      clear($('created'), shown(r.data));
      await load();
    });
  });

  accounts = await GA.list('/api/v1/exchange-accounts');
  clear($('hook-account'), accounts.map((a) => el('option', { value: a.id, selected: a.is_main },
    a.name + ' (' + a.exchange + ')')));
  if (!accounts.length) GA.notice('Add an exchange account first: a webhook places orders on one.', 'warn');
  await load();
});
