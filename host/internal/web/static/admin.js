// The admin page: users (list, create, role, disable) and the plugins with
// a reload. Only admins get here; the API refuses everyone else anyway.
'use strict';

GA.start(async (me) => {
  const { el, clear, api } = GA;
  const $ = (id) => document.getElementById(id);

  async function users() {
    if (!await GA.hasRoute('GET', '/api/v1/users')) {
      clear($('users'), el('p', { class: 'msg warn' }, 'This daemon cannot list users yet (it has no GET /api/v1/users); ' +
        'users can still be created below.'));
      return;
    }
    const canPatch = await GA.hasRoute('PATCH', '/api/v1/users/{id}');
    let list;
    try {
      list = await GA.list('/api/v1/users');
    } catch (err) {
      if (GA.routeMissing(err)) {
        clear($('users'), el('p', { class: 'msg warn' }, 'This daemon cannot list users yet (GET /api/v1/users answered ' +
          err.status + '); users can still be created below.'));
        return;
      }
      throw err;
    }
    const patch = async (u, body, done) => {
      try {
        await api('PATCH', '/api/v1/users/' + encodeURIComponent(u.id), body);
      } catch (err) {
        if (GA.routeMissing(err)) throw new Error('This daemon cannot change users yet.');
        throw err;
      }
      GA.notice(done, 'ok');
      await users();
    };
    clear($('users'), GA.table(null, ['Username', 'Role', 'State', 'Created', 'Actions'], list.map((u) => ({
      attrs: { dataset: { id: u.id } },
      cells: [u.username + (u.id === me.id ? ' (you)' : ''), u.role,
        u.disabled ? el('span', { class: 'badge disabled' }, 'disabled') : (u.has_password === false ? 'invited' : 'active'),
        GA.fmtTime(u.created_at),
        canPatch && el('div', { class: 'row' },
          el('button', { type: 'button', class: 'secondary', 'aria-label': 'Change the role of ' + u.username,
            onclick: (ev) => GA.busy(ev.currentTarget, () => patch(u, { role: u.role === 'admin' ? 'user' : 'admin' },
              u.username + ' is now ' + (u.role === 'admin' ? 'a user' : 'an admin') + '.')) },
          u.role === 'admin' ? 'Make user' : 'Make admin'),
          el('button', { type: 'button', class: u.disabled ? 'secondary' : 'danger', 'aria-label': (u.disabled ? 'Enable ' : 'Disable ') + u.username,
            onclick: (ev) => GA.busy(ev.currentTarget, async () => {
              if (!u.disabled && !await GA.confirmDialog('Disable ' + u.username + '? It can no longer sign in.', 'Disable')) return;
              await patch(u, { disabled: !u.disabled }, u.username + (u.disabled ? ' is enabled.' : ' is disabled.'));
            }) }, u.disabled ? 'Enable' : 'Disable')),
      ],
    }))));
  }

  const form = $('user-form');
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    GA.notice('');
    await GA.busy($('user-submit'), async () => {
      const body = { username: form.username.value.trim(), role: form.role.value };
      if (form.password.value) body.password = form.password.value;
      const r = await api('POST', '/api/v1/users', body);
      form.reset();
      clear($('user-created'), el('div', { class: 'panel' },
        el('p', { class: 'msg ok' }, 'Created ' + r.data.username + ' (' + r.data.role + ').'),
        el('p', {}, 'API token, shown once: ', el('span', { class: 'secret', id: 'user-token' }, r.data.token), ' ',
          GA.copyButton(r.data.token, 'Copy token'))));
      await users();
    });
  });

  async function plugins(list) {
    clear($('plugins'), GA.exchangesTable(list || await GA.list('/api/v1/exchanges')));
  }
  $('reload').addEventListener('click', (ev) => GA.busy(ev.currentTarget, async () => {
    const r = await api('POST', '/api/v1/plugins/reload');
    GA.notice('Plugins reloaded.', 'ok');
    await plugins(r.data);
  }));

  await Promise.all([users(), plugins()]);
}, true);
