// The sign-in page: trades a username and password for an API token and
// goes back to the page that sent the user here.
'use strict';

document.addEventListener('DOMContentLoaded', () => {
  const q = new URLSearchParams(location.search);
  const why = {
    expired: ['Your session ended; sign in again.', 'warn'],
    out: ['Signed out.', 'ok'],
    'out-local': ['Signed out in this browser. This daemon cannot revoke tokens yet, so the token stays ' +
      'valid until it expires.', 'warn'],
  }[q.get('why')];
  if (why) GA.notice(why[0], why[1]);

  // Only a path of this site: never an address elsewhere (//host, /\host).
  let next = q.get('next') || '/';
  if (!/^\/(?![/\\])/.test(next) || next.startsWith('/login')) next = '/';

  const form = document.getElementById('login-form');
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    GA.notice('');
    const button = document.getElementById('login-submit');
    await GA.busy(button, async () => {
      const r = await GA.api('POST', '/api/v1/auth/login', {
        username: form.username.value.trim(), password: form.password.value,
      }, { anonymous: true });
      GA.clearSession();
      GA.setSession(r.data.token, r.data.expires_at);
      location.replace(next);
    });
  });
});
