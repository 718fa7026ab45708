import test from 'ava';
import { C, createUser, startUsersServer } from './helpers.js';

test('whoami answers the token owner; no token is M_MISSING_TOKEN, a bad one M_UNKNOWN_TOKEN', async (t) => {
  const s = await startUsersServer(t);
  const alice = await createUser(s, 'alice');
  const me = await s.as(alice.accessToken, 'GET', `${C}/account/whoami`);
  t.is(me.status, 200);
  t.deepEqual(me.body, { user_id: '@alice:hs.test', device_id: alice.deviceId, is_guest: false });

  const viaQuery = await s.request('GET', `${C}/account/whoami?access_token=${encodeURIComponent(alice.accessToken)}`);
  t.is(viaQuery.status, 200);
  t.is(viaQuery.body.user_id, '@alice:hs.test');

  const none = await s.request('GET', `${C}/account/whoami`);
  t.is(none.status, 401);
  t.is(none.body.errcode, 'M_MISSING_TOKEN');

  const bad = await s.as('hat_nonsense', 'GET', `${C}/account/whoami`);
  t.is(bad.status, 401);
  t.is(bad.body.errcode, 'M_UNKNOWN_TOKEN');
  t.is(bad.body.soft_logout, false);

  const notBearer = await s.request('GET', `${C}/account/whoami`, undefined, { Authorization: `Basic ${alice.accessToken}` });
  t.is(notBearer.status, 401);
});
