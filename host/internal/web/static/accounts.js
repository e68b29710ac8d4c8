// The accounts page: each account with its status and reason, and what can
// be done with it (make main, deactivate, re-validate, sync, delete), and
// the form that adds one. The form asks for a passphrase only for an
// exchange whose plugin requires one and offers testnet only where the
// plugin supports it.
'use strict';

GA.start(async () => {
  const { el, clear, api } = GA;
  const $ = (id) => document.getElementById(id);
  let exchanges = [];

  // permissionsView shows the exchange's last verdict on an account's
  // keys (last_check) and the warnings the daemon derived from it, with a
  // visible alert when the key may withdraw funds.
  function permissionsView(a) {
    const c = a && a.last_check;
    if (!c) return el('div', { class: 'perms' }, el('p', {}, 'Keys stored without a check.'));
    const parts = [];
    if (c.outcome !== 'ok') {
      parts.push(el('p', { class: 'msg err' }, 'The exchange rejected the keys' + (c.message ? ': ' + c.message : '.')));
    } else if (c.permissions) {
      const p = c.permissions;
      const names = [['read', 'read'], ['spot_trade', 'spot trading'], ['futures_trade', 'futures trading'],
        ['withdraw', 'withdrawal'], ['ip_restricted', 'IP-restricted']].filter(([k]) => p[k]).map(([, n]) => n);
      parts.push(el('p', {}, 'Key permissions: ', names.length ? names.join(', ') : 'none reported',
        c.current ? '' : ' (checked before the keys changed)'));
    }
    for (const w of a.warnings || []) {
      parts.push(el('p', { class: 'msg warn', role: 'alert', id: w.code === 'withdraw_enabled' ? 'withdraw-warning' : null,
        dataset: { warning: w.code } }, 'Warning: ' + w.message));
    }
    return el('div', { class: 'perms' }, parts);
  }

  const path = (a, rest) => '/api/v1/exchange-accounts/' + encodeURIComponent(a.id) + (rest || '');

  const canValidate = await GA.hasRoute('POST', '/api/v1/exchange-accounts/{id}/validate');

  async function load() {
    const list = await GA.list('/api/v1/exchange-accounts');
    const action = (label, a, fn, cls) => el('button', {
      type: 'button', class: cls || 'secondary', 'aria-label': label + ' ' + a.name, dataset: { action: label.toLowerCase() },
      onclick: (ev) => GA.busy(ev.currentTarget, () => fn(a)),
    }, label);
    clear($('accounts'), GA.table(null, ['Name', 'Exchange', 'Status', 'Key', 'Actions'], list.map((a) => ({
      attrs: { dataset: { id: a.id, exchange: a.exchange } },
      cells: [
        el('span', {}, a.name, a.is_main ? el('span', { class: 'badge ok main-badge' }, ' main') : null),
        a.exchange + (a.testnet ? ' (testnet)' : ''),
        el('div', {},
          el('span', { class: 'badge ' + (a.sync && a.sync.status) }, (a.sync && a.sync.status) || ''),
          a.is_active ? null : el('span', { class: 'badge disabled' }, ' inactive'),
          a.credentials_status === 'unreadable' ? el('span', { class: 'badge unreadable' }, ' keys unreadable: enter them again') : null,
          a.sync && a.sync.last_error ? el('div', { class: 'reason' }, a.sync.last_error) : null,
          el('div', {}, el('small', {}, 'last sync ', GA.ago(a.sync && a.sync.last_sync_at)))),
        a.api_key_hint,
        el('div', { class: 'row' },
          a.is_main ? null : action('Make main', a, async () => {
            await api('PATCH', path(a), { is_main: true });
            GA.notice(a.name + ' is now the main account.', 'ok');
            await load();
          }),
          action(a.is_active ? 'Deactivate' : 'Activate', a, async () => {
            await api('PATCH', path(a), { is_active: !a.is_active });
            GA.notice(a.name + (a.is_active ? ' is inactive: it is no longer synced.' : ' is active again.'), 'ok');
            await load();
          }),
          canValidate ? action('Re-validate', a, async () => revalidate(a)) : null,
          a.is_active ? action('Sync', a, async () => {
            const r = await api('POST', path(a, '/sync'));
            GA.notice('Sync of ' + a.name + ': ' + r.data.sync.status + (r.data.sync.last_error ? ' — ' + r.data.sync.last_error : ''),
              r.data.sync.status === 'ok' ? 'ok' : 'warn');
            await load();
          }) : null,
          action('Delete', a, async () => {
            if (!await GA.confirmDialog('Delete the account "' + a.name + '"? Its keys and history are deleted too.', 'Delete')) return;
            await api('DELETE', path(a), undefined, { accept: [204] });
            GA.notice(a.name + ' deleted.', 'ok');
            await load();
          }, 'danger')),
      ],
    })), 'No exchange account yet: add one below.'));
  }

  async function revalidate(a) {
    let r;
    try {
      r = await api('POST', path(a, '/validate'));
    } catch (err) {
      if (GA.routeMissing(err)) {
        GA.notice('This daemon cannot re-check keys yet (POST …/validate answered ' + err.status + ').', 'warn');
        return;
      }
      throw err;
    }
    const check = (r.data && r.data.last_check) || {};
    const ok = check.outcome === 'ok';
    clear($('add-result'));
    GA.notice('Keys of ' + a.name + (ok ? ' checked: the exchange accepts them.' : ' refused: ' + (check.message || 'no reason given')),
      ok ? 'ok' : 'error');
    const perms = permissionsView(r.data);
    if (perms) $('notice').append(perms);
    await load();
  }

  // The exchange picker: the passphrase field only where it is required,
  // testnet only where it is supported.
  const sel = $('add-exchange');
  function picked() {
    const x = exchanges.find((e) => e.name === sel.value);
    const needs = !!(x && x.requires_passphrase);
    $('passphrase-row').hidden = !needs;
    $('add-passphrase').required = needs;
    if (!needs) $('add-passphrase').value = '';
    const testnet = $('add-testnet');
    testnet.disabled = !(x && x.supports_testnet);
    if (testnet.disabled) testnet.checked = false;
  }
  sel.addEventListener('change', picked);

  const form = $('add-form');
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    GA.notice('');
    await GA.busy($('add-submit'), async () => {
      const body = {
        name: form.name.value.trim(), exchange: sel.value, api_key: form.api_key.value.trim(),
        secret_key: form.secret_key.value, testnet: form.testnet.checked, is_main: form.is_main.checked,
        validate: form.validate.checked,
      };
      if (!$('passphrase-row').hidden) body.passphrase = form.passphrase.value;
      const r = await api('POST', '/api/v1/exchange-accounts', body);
      form.reset();
      picked();
      clear($('add-result'), el('div', { class: 'msg ok', id: 'added' },
        'Added ' + r.data.name + ' (' + r.data.exchange + ')' + (body.validate ? ': the exchange accepted the keys.' : '.') +
        (r.data.is_main ? ' It is the main account.' : '')), permissionsView(r.data));
      await load();
    });
  });

  exchanges = await GA.list('/api/v1/exchanges');
  clear(sel, exchanges.map((x) => el('option', { value: x.name, disabled: x.status === 'disabled' },
    (x.display_name || x.name) + (x.status !== 'ready' ? ' (' + x.status + ')' : ''))));
  picked();
  await load();
});
