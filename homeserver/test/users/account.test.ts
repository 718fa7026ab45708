import test from 'ava';
import { C, createUser, enc, passwordAuth, startUsersServer } from './helpers.js';

test('changing the password: UIA, other devices logged out, this one kept', async (t) => {
  const s = await startUsersServer(t);
  const alice = await createUser(s, 'alice', { password: 'old-password' });
  const other = (await s.request('POST', `${C}/login`, { type: 'm.login.password', user: 'alice', password: 'old-password' })).body;

  const first = await s.as(alice.accessToken, 'POST', `${C}/account/password`, { new_password: 'new-password' });
  t.is(first.status, 401);
  t.deepEqual(first.body.flows, [{ stages: ['m.login.password'] }]);
  const done = await s.as(alice.accessToken, 'POST', `${C}/account/password`, { new_password: 'new-password', auth: passwordAuth(alice, first.body.session) });
  t.is(done.status, 200, JSON.stringify(done.body));

  t.is((await s.as(alice.accessToken, 'GET', `${C}/account/whoami`)).status, 200);
  t.is((await s.as(other.access_token, 'GET', `${C}/account/whoami`)).status, 401);
  t.is((await s.request('POST', `${C}/login`, { type: 'm.login.password', user: 'alice', password: 'old-password' })).status, 403);
  const again = await s.request('POST', `${C}/login`, { type: 'm.login.password', user: 'alice', password: 'new-password' });
  t.is(again.status, 200);

  // logout_devices: false keeps the other sessions.
  const s2 = await s.as(alice.accessToken, 'POST', `${C}/account/password`, { new_password: 'third', logout_devices: false });
  await s.as(alice.accessToken, 'POST', `${C}/account/password`, { new_password: 'third', logout_devices: false, auth: passwordAuth({ ...alice, password: 'new-password' }, s2.body.session) });
  t.is((await s.as(again.body.access_token, 'GET', `${C}/account/whoami`)).status, 200);

  const missing = await s.as(alice.accessToken, 'POST', `${C}/account/password`, {});
  t.is(missing.body.errcode, 'M_MISSING_PARAM');
  const wrongType = await s.as(alice.accessToken, 'POST', `${C}/account/password`, { new_password: 1 });
  t.is(wrongType.body.errcode, 'M_BAD_JSON');
  t.is((await s.request('POST', `${C}/account/password`, { new_password: 'x' })).body.errcode, 'M_MISSING_TOKEN');
});

test('deactivation with erase: tokens, devices, profile and account data go; login is refused', async (t) => {
  const s = await startUsersServer(t);
  const alice = await createUser(s, 'alice');
  const me = enc(alice.userId);
  await s.as(alice.accessToken, 'PUT', `${C}/profile/${me}/avatar_url`, { avatar_url: 'mxc://hs.test/abc' });
  await s.as(alice.accessToken, 'PUT', `${C}/user/${me}/account_data/m.secret_storage.default_key`, { key: 'k' });

  const first = await s.as(alice.accessToken, 'POST', `${C}/account/deactivate`, { erase: true });
  t.is(first.status, 401);
  const done = await s.as(alice.accessToken, 'POST', `${C}/account/deactivate`, { erase: true, auth: passwordAuth(alice, first.body.session) });
  t.is(done.status, 200);
  t.deepEqual(done.body, { id_server_unbind_result: 'success' });

  t.is((await s.as(alice.accessToken, 'GET', `${C}/account/whoami`)).body.errcode, 'M_UNKNOWN_TOKEN');
  t.is((await s.request('POST', `${C}/login`, { type: 'm.login.password', user: 'alice', password: alice.password })).status, 403);
  t.deepEqual((await s.request('GET', `${C}/profile/${me}`)).body, {});

  const root = await createUser(s, 'root', { admin: true });
  const view = (await s.as(root.accessToken, 'GET', `/_synapse/admin/v2/users/${me}`)).body;
  t.like(view, { deactivated: true, erased: true, displayname: null, avatar_url: null });
  // The localpart stays taken.
  t.is((await s.request('GET', `${C}/register/available?username=alice`)).body.errcode, 'M_USER_IN_USE');
});

test('deactivation without erase keeps the profile', async (t) => {
  const s = await startUsersServer(t);
  const alice = await createUser(s, 'alice');
  const first = await s.as(alice.accessToken, 'POST', `${C}/account/deactivate`, {});
  await s.as(alice.accessToken, 'POST', `${C}/account/deactivate`, { auth: passwordAuth(alice, first.body.session) });
  t.deepEqual((await s.request('GET', `${C}/profile/${enc(alice.userId)}`)).body, { displayname: 'alice' });
});

test('GET /account/3pid is an empty list; capabilities describe the server', async (t) => {
  const s = await startUsersServer(t);
  const alice = await createUser(s, 'alice');
  t.deepEqual((await s.as(alice.accessToken, 'GET', `${C}/account/3pid`)).body, { threepids: [] });
  const caps = await s.as(alice.accessToken, 'GET', `${C}/capabilities`);
  t.is(caps.status, 200);
  const c = caps.body.capabilities;
  t.deepEqual(c['m.change_password'], { enabled: true });
  t.deepEqual(c['m.room_versions'], { default: '11', available: { '10': 'stable', '11': 'stable', '12': 'stable' } });
  t.deepEqual(c['m.set_displayname'], { enabled: true });
  t.deepEqual(c['m.set_avatar_url'], { enabled: true });
  t.deepEqual(c['m.3pid_changes'], { enabled: false });
  t.deepEqual(c['m.profile_fields'], { enabled: true });
  t.is((await s.request('GET', `${C}/capabilities`)).status, 401);
});
