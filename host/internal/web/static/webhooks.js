// The webhooks page: the user's webhooks with their deliveries, and the
// form that creates one. A new webhook's URL and secret are shown once,
// with copy buttons, the alert template to paste into TradingView, and a
// form that sends a test alert to it: with dry run on, the answer shows the
// order that would be placed, computed from the account's real data.
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
          [d.action, d.symbol, d.alert_id].filter(Boolean).join(' '),
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

  // shown is what only a create answer carries: the url and secret, with
  // the template and the test form that need them.
  function shown(w) {
    const url = location.origin + w.url;
    const symbol = w.allowed_symbols[0] || (w.market === 'spot' ? 'BTC/USDT' : 'BTC/USDT:USDT');
    const template = JSON.stringify({
      secret: w.secret, action: '{{strategy.order.action}}', symbol, type: 'market',
      quantity: '{{strategy.order.contracts}}', alert_id: '{{strategy.order.id}}-{{timenow}}',
    }, null, 2);
    const result = el('div', { id: 'test-result', 'aria-live': 'polite' });
    const test = el('form', { class: 'stack narrow', id: 'test-form' },
      el('label', { for: 'test-action' }, 'Action'),
      el('select', { id: 'test-action', name: 'action' }, ['buy', 'sell', 'close'].map((a) => el('option', { value: a }, a))),
      el('label', { for: 'test-symbol' }, 'Symbol'),
      el('input', { id: 'test-symbol', name: 'symbol', value: symbol, required: true }),
      el('label', { for: 'test-type' }, 'Order type'),
      el('select', { id: 'test-type', name: 'type' }, ['market', 'limit'].map((a) => el('option', { value: a }, a))),
      el('label', { for: 'test-price' }, 'Limit price (limit orders)'),
      el('input', { id: 'test-price', name: 'price', inputmode: 'decimal' }),
      el('label', { for: 'test-quantity' }, 'Quantity'),
      el('input', { id: 'test-quantity', name: 'quantity', value: '0.001', inputmode: 'decimal' }),
      w.dry_run ? el('p', {}, 'Dry run: nothing is placed; the answer shows the order that would be.')
        : el('label', { class: 'check' }, el('input', { type: 'checkbox', name: 'real', required: true }),
          'This webhook is live: the test places a real order.'),
      el('button', { type: 'submit', id: 'test-submit' }, 'Send test alert'));
    test.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      await GA.busy($('test-submit'), async () => {
        const alert = { secret: w.secret, action: test.action.value, symbol: test.symbol.value.trim(),
          type: test.type.value, alert_id: 'dashboard-test-' + Date.now() };
        if (alert.action === 'close') alert.type = 'market';
        else alert.quantity = test.quantity.value.trim();
        if (alert.type === 'limit') alert.price = test.price.value.trim();
        // The public hook route answers a delivery also when it rejects the alert.
        const r = await api('POST', w.url, JSON.stringify(alert), { anonymous: true, contentType: 'text/plain', accept: [400, 422] });
        const d = r.data || {};
        clear(result, el('p', { class: 'msg ' + (d.status === 'dry_run' || d.status === 'executed' ? 'ok' : 'warn') },
          'Status: ' + d.status + (d.order ? ' — order: ' + orderText(d.order) : '') +
          (d.error ? ' — ' + d.error.code + ': ' + d.error.message : '')),
        el('pre', { id: 'test-answer' }, JSON.stringify(d, null, 2)));
        await deliveries(w);
      });
    });
    return el('div', { class: 'panel', id: 'new-hook' },
      el('p', { class: 'msg warn' }, 'Copy the URL and secret now: they are not shown again.'),
      el('p', {}, 'URL: ', el('span', { class: 'secret', id: 'hook-url' }, url), ' ', GA.copyButton(url, 'Copy URL')),
      el('p', {}, 'Secret: ', el('span', { class: 'secret', id: 'hook-secret' }, w.secret), ' ', GA.copyButton(w.secret, 'Copy secret')),
      el('h3', {}, 'Alert message for TradingView'),
      el('pre', { id: 'hook-template' }, template), GA.copyButton(template, 'Copy template'),
      el('h3', {}, 'Test with real data'), test, result);
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
