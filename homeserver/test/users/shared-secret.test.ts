import test from 'ava';
import { createHmac } from 'node:crypto';
import { C, SHARED_SECRET, startUsersServer } from './helpers.js';

const URL = '/_synapse/admin/v1/register';

/** Built independently of the server's code, byte by byte as Synapse's docs describe. */
function mac(nonce: string, user: string, password: string, admin: boolean, secret = SHARED_SECRET): string {
  const parts = [nonce, user, password, admin ? 'admin' : 'notadmin'].map((p) => Buffer.from(p, 'utf8'));
  const msg = Buffer.concat(parts.flatMap((p, i) => (i === 0 ? [p] : [Buffer.from([0]), p])));
  return createHmac('sha1', secret).update(msg).digest('hex');
}

test('register_new_matrix_user flow: nonce, MAC, admin flag', async (t) => {
  const s = await startUsersServer(t);
  const { nonce } = (await s.request('GET', URL)).body;
  t.regex(nonce, /^[0-9a-f]{64}$/);
  const res = await s.request('POST', URL, { nonce, username: 'Pepper_Roni', password: 'pizza', admin: true, displayname: 'Pepper Roni', mac: mac(nonce, 'Pepper_Roni', 'pizza', true) });
  t.is(res.status, 200, JSON.stringify(res.body));
  t.is(res.body.user_id, '@pepper_roni:hs.test');
  t.is(res.body.home_server, 'hs.test');
  t.truthy(res.body.device_id);
  const user = await s.as(res.body.access_token, 'GET', `/_synapse/admin/v2/users/${encodeURIComponent('@pepper_roni:hs.test')}`);
  t.is(user.body.admin, true);
  t.is(user.body.displayname, 'Pepper Roni');
  // The password works for logging in.
  const login = await s.request('POST', `${C}/login`, { type: 'm.login.password', identifier: { type: 'm.id.user', user: 'pepper_roni' }, password: 'pizza' });
  t.is(login.status, 200);
});

test('a wrong MAC is 403, a reused or unknown nonce 400', async (t) => {
  const s = await startUsersServer(t);
  const { nonce } = (await s.request('GET', URL)).body;
  const wrong = await s.request('POST', URL, { nonce, username: 'bob', password: 'pw', admin: true, mac: mac(nonce, 'bob', 'pw', false) });
  t.is(wrong.status, 403);
  t.is(wrong.body.errcode, 'M_FORBIDDEN');
  const wrongSecret = await s.request('POST', URL, { nonce, username: 'bob', password: 'pw', mac: mac(nonce, 'bob', 'pw', false, 'another-secret-0123456789') });
  t.is(wrongSecret.status, 400, 'the nonce was spent by the failed attempt');
  const { nonce: n2 } = (await s.request('GET', URL)).body;
  t.is((await s.request('POST', URL, { nonce: n2, username: 'bob', password: 'pw', mac: mac(n2, 'bob', 'pw', false, 'another-secret-0123456789') })).status, 403);
  const unknown = await s.request('POST', URL, { nonce: 'made-up', username: 'bob', password: 'pw', mac: mac('made-up', 'bob', 'pw', false) });
  t.is(unknown.status, 400);
  const missing = await s.request('POST', URL, { nonce: n2, username: 'bob' });
  t.is(missing.status, 400);
  t.is(missing.body.errcode, 'M_BAD_JSON');
  // Nobody was created.
  const login = await s.request('POST', `${C}/login`, { type: 'm.login.password', user: 'bob', password: 'pw' });
  t.is(login.status, 403);
});

test('an invalid username is refused after a good MAC; a taken one too', async (t) => {
  const s = await startUsersServer(t);
  for (const [username, errcode] of [
    ['bad name', 'M_INVALID_USERNAME'],
    ['carol', undefined],
    ['carol', 'M_USER_IN_USE'],
  ] as const) {
    const { nonce } = (await s.request('GET', URL)).body;
    const res = await s.request('POST', URL, { nonce, username, password: 'pw', mac: mac(nonce, username, 'pw', false) });
    if (errcode) t.is(res.body.errcode, errcode);
    else t.is(res.status, 200);
  }
});

test('without a shared secret the endpoint is off', async (t) => {
  const s = await startUsersServer(t, { HS_REGISTRATION_SHARED_SECRET: '' });
  const res = await s.request('GET', URL);
  t.is(res.status, 400);
  t.regex(res.body.error, /not enabled/);
  t.is((await s.request('POST', URL, { nonce: 'x', username: 'a', password: 'b', mac: 'c' })).status, 400);
});
