// The password page: change the password and see or revoke the user's
// tokens. Daemons without these routes answer 404; the page says so.
'use strict';

GA.start(async () => {
  const { el, clear } = GA;
  const form = document.getElementById('password-form');
  if (!await GA.hasRoute('POST', '/api/v1/me/password')) {
    form.hidden = true;
    GA.notice('This daemon cannot change passwords yet (it has no POST /api/v1/me/password). Ask an admin.', 'warn');
  }
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    GA.notice('');
    if (form.new.value !== form.confirm.value) {
      GA.notice('The two new passwords differ.');
      form.confirm.focus();
      return;
    }
    await GA.busy(document.getElementById('password-submit'), async () => {
      const body = { new_password: form.new.value };
      if (form.current.value) body.current_password = form.current.value;
      try {
        await GA.api('POST', '/api/v1/me/password', body, { accept: [204] });
      } catch (err) {
        if (GA.routeMissing(err)) {
          GA.notice('This daemon cannot change passwords yet (POST /api/v1/me/password answered ' +
            err.status + '). Ask an admin.', 'warn');
          return;
        }
        throw err;
      }
      form.reset();
      GA.notice('Password changed. Your other sign-ins were ended.', 'ok');
      await tokens();
    });
  });

  const box = document.getElementById('tokens');
  async function tokens() {
    if (!await GA.hasRoute('GET', '/api/v1/me/tokens')) {
      clear(box, el('p', { class: 'msg warn' }, 'This daemon cannot list tokens yet (it has no GET /api/v1/me/tokens).'));
      return;
    }
    let list;
    try {
      list = await GA.list('/api/v1/me/tokens');
    } catch (err) {
      if (GA.routeMissing(err)) {
        clear(box, el('p', { class: 'msg warn' }, 'This daemon cannot list tokens yet ' +
          '(GET /api/v1/me/tokens answered ' + err.status + ').'));
        return;
      }
      throw err;
    }
    clear(box, GA.table('Tokens that have not expired', ['Kind', 'Created', 'Expires', ''], list.map((t) => ({
      cells: [
        t.kind || '', GA.fmtTime(t.created_at), t.expires_at ? GA.fmtTime(t.expires_at) : 'never',
        t.current ? 'this session' : el('button', {
          type: 'button', class: 'secondary', 'aria-label': 'Revoke the token created ' + GA.fmtTime(t.created_at),
          onclick: async (ev) => {
            if (!await GA.confirmDialog('Revoke this token? Whatever uses it stops working.', 'Revoke')) return;
            await GA.busy(ev.target, async () => {
              await GA.api('DELETE', '/api/v1/me/tokens/' + encodeURIComponent(t.id), undefined, { accept: [204] });
              GA.notice('Token revoked.', 'ok');
              await tokens();
            });
          },
        }, 'Revoke'),
      ],
    })), 'No tokens.'));
  }
  await tokens();
});
