import test from 'ava';
import { C, createUser, enc, startUsersServer } from './helpers.js';

const USERS = '/_synapse/admin/v2/users';
const TOKENS = '/_synapse/admin/v1/registration_tokens';

test('admin endpoints: no token 401, non-admin 403 M_FORBIDDEN', async (t) => {
  const s = await startUsersServer(t);
  const alice = await createUser(s, 'alice');
  for (const [method, path] of [
    ['GET', USERS],
    ['GET', `${USERS}/${enc(alice.userId)}`],
    ['PUT', `${USERS}/${enc('@x:hs.test')}`],
    ['POST', `/_synapse/admin/v1/deactivate/${enc(alice.userId)}`],
    ['POST', `/_synapse/admin/v1/reset_password/${enc(alice.userId)}`],
    ['GET', TOKENS],
    ['POST', `${TOKENS}/new`],
    ['DELETE', `${TOKENS}/abc`],
  ] as const) {
    const none = await s.request(method, path, method === 'GET' || method === 'DELETE' ? undefined : {});
    t.is(none.status, 401, `${method} ${path}`);
    const res = await s.as(alice.accessToken, method, path, method === 'GET' || method === 'DELETE' ? undefined : {});
    t.is(res.status, 403, `${method} ${path}`);
    t.is(res.body.errcode, 'M_FORBIDDEN');
  }
});

test('list users: pagination with next_token and total, name and deactivated filters, order', async (t) => {
  const s = await startUsersServer(t);
  const root = await createUser(s, 'root', { admin: true });
  for (const name of ['carol', 'alice', 'bob', 'dave']) await createUser(s, name);
  await s.as(root.accessToken, 'PUT', `${USERS}/${enc('@bob:hs.test')}`, { displayname: 'Robert Zed' });
  await s.as(root.accessToken, 'POST', `/_synapse/admin/v1/deactivate/${enc('@dave:hs.test')}`, {});

  const page1 = (await s.as(root.accessToken, 'GET', `${USERS}?limit=2`)).body;
  t.deepEqual(page1.users.map((u: any) => u.name), ['@alice:hs.test', '@bob:hs.test']);
  t.is(page1.total, 4);
  t.is(page1.next_token, '2');
  t.like(page1.users[1], { name: '@bob:hs.test', displayname: 'Robert Zed', admin: false, deactivated: false, is_guest: false, erased: false, shadow_banned: false, locked: false, avatar_url: null, user_type: null });
  t.is(typeof page1.users[0].creation_ts, 'number');
  const page2 = (await s.as(root.accessToken, 'GET', `${USERS}?limit=2&from=${page1.next_token}`)).body;
  t.deepEqual(page2.users.map((u: any) => u.name), ['@carol:hs.test', '@root:hs.test']);
  t.is(page2.next_token, undefined);

  const withDeactivated = (await s.as(root.accessToken, 'GET', `${USERS}?deactivated=true`)).body;
  t.is(withDeactivated.total, 5);
  t.true(withDeactivated.users.some((u: any) => u.name === '@dave:hs.test' && u.deactivated));

  t.deepEqual((await s.as(root.accessToken, 'GET', `${USERS}?name=zed`)).body.users.map((u: any) => u.name), ['@bob:hs.test'], 'by display name');
  t.deepEqual((await s.as(root.accessToken, 'GET', `${USERS}?name=CAR`)).body.users.map((u: any) => u.name), ['@carol:hs.test'], 'by localpart');
  t.deepEqual((await s.as(root.accessToken, 'GET', `${USERS}?name=%25`)).body.users, [], 'LIKE wildcards are literal');
  t.deepEqual((await s.as(root.accessToken, 'GET', `${USERS}?admins=true`)).body.users.map((u: any) => u.name), ['@root:hs.test']);
  t.deepEqual((await s.as(root.accessToken, 'GET', `${USERS}?dir=b&limit=1`)).body.users.map((u: any) => u.name), ['@root:hs.test']);

  for (const q of ['limit=0', 'limit=abc', 'from=-1', 'order_by=password', 'dir=x', 'deactivated=maybe']) {
    const res = await s.as(root.accessToken, 'GET', `${USERS}?${q}`);
    t.is(res.status, 400, q);
    t.is(res.body.errcode, 'M_INVALID_PARAM', q);
  }
});

test('create (201) and modify (200) users; query one; reactivation needs a password', async (t) => {
  const s = await startUsersServer(t);
  const root = await createUser(s, 'root', { admin: true });
  const id = enc('@made:hs.test');
  const created = await s.as(root.accessToken, 'PUT', `${USERS}/${id}`, { password: 'pw-made', displayname: 'Made By Admin', avatar_url: 'mxc://hs.test/av', admin: false });
  t.is(created.status, 201, JSON.stringify(created.body));
  t.like(created.body, { name: '@made:hs.test', displayname: 'Made By Admin', avatar_url: 'mxc://hs.test/av', admin: false, deactivated: false, threepids: [], is_guest: false });
  const login = await s.request('POST', `${C}/login`, { type: 'm.login.password', user: 'made', password: 'pw-made' });
  t.is(login.status, 200);

  const promoted = await s.as(root.accessToken, 'PUT', `${USERS}/${id}`, { admin: true, displayname: 'Renamed' });
  t.is(promoted.status, 200);
  t.like(promoted.body, { admin: true, displayname: 'Renamed' });
  t.is((await s.as(login.body.access_token, 'GET', USERS)).status, 200, 'the new admin status applies to live tokens');

  // A new password logs out every device by default.
  await s.as(root.accessToken, 'PUT', `${USERS}/${id}`, { password: 'pw-2' });
  t.is((await s.as(login.body.access_token, 'GET', `${C}/account/whoami`)).status, 401);

  await s.as(root.accessToken, 'PUT', `${USERS}/${id}`, { deactivated: true });
  t.true((await s.as(root.accessToken, 'GET', `${USERS}/${id}`)).body.deactivated);
  const noPassword = await s.as(root.accessToken, 'PUT', `${USERS}/${id}`, { deactivated: false });
  t.is(noPassword.status, 400);
  t.is((await s.as(root.accessToken, 'PUT', `${USERS}/${id}`, { deactivated: false, password: 'pw-3' })).body.deactivated, false);
  t.is((await s.request('POST', `${C}/login`, { type: 'm.login.password', user: 'made', password: 'pw-3' })).status, 200);

  const view = (await s.as(root.accessToken, 'GET', `${USERS}/${enc(root.userId)}`)).body;
  t.like(view, { name: root.userId, admin: true, displayname: 'root', deactivated: false, erased: false, user_type: null });
  t.is(typeof view.creation_ts, 'number');
  t.is(typeof view.last_seen_ts, 'number');

  t.is((await s.as(root.accessToken, 'GET', `${USERS}/${enc('@ghost:hs.test')}`)).status, 404);
  t.is((await s.as(root.accessToken, 'GET', `${USERS}/${enc('@x:elsewhere.test')}`)).status, 400);
  t.is((await s.as(root.accessToken, 'PUT', `${USERS}/${enc('@Bad Name:hs.test')}`, {})).status, 400);
  t.is((await s.as(root.accessToken, 'PUT', `${USERS}/${id}`, { admin: 'yes' })).body.errcode, 'M_BAD_JSON');
  t.is((await s.as(root.accessToken, 'PUT', `${USERS}/${id}`, { threepids: [{ medium: 'email', address: 'a@b.c' }] })).status, 400);
  t.is((await s.as(root.accessToken, 'PUT', `${USERS}/${enc(root.userId)}`, { admin: false })).status, 400, 'no demoting yourself');
});

test('admin deactivate with erase, and reset_password', async (t) => {
  const s = await startUsersServer(t);
  const root = await createUser(s, 'root', { admin: true });
  const alice = await createUser(s, 'alice');
  const bob = await createUser(s, 'bob');

  const reset = await s.as(root.accessToken, 'POST', `/_synapse/admin/v1/reset_password/${enc(bob.userId)}`, { new_password: 'reset-pw', logout_devices: false });
  t.deepEqual([reset.status, reset.body], [200, {}]);
  t.is((await s.as(bob.accessToken, 'GET', `${C}/account/whoami`)).status, 200, 'logout_devices: false');
  t.is((await s.request('POST', `${C}/login`, { type: 'm.login.password', user: 'bob', password: 'reset-pw' })).status, 200);
  await s.as(root.accessToken, 'POST', `/_synapse/admin/v1/reset_password/${enc(bob.userId)}`, { new_password: 'again' });
  t.is((await s.as(bob.accessToken, 'GET', `${C}/account/whoami`)).status, 401);
  t.is((await s.as(root.accessToken, 'POST', `/_synapse/admin/v1/reset_password/${enc(bob.userId)}`, {})).body.errcode, 'M_BAD_JSON');
  t.is((await s.as(root.accessToken, 'POST', `/_synapse/admin/v1/reset_password/${enc('@ghost:hs.test')}`, { new_password: 'x' })).status, 404);

  await s.as(alice.accessToken, 'PUT', `${C}/user/${enc(alice.userId)}/account_data/org.example.x`, { a: 1 });
  const res = await s.as(root.accessToken, 'POST', `/_synapse/admin/v1/deactivate/${enc(alice.userId)}`, { erase: true });
  t.deepEqual([res.status, res.body], [200, { id_server_unbind_result: 'success' }]);
  t.is((await s.as(alice.accessToken, 'GET', `${C}/account/whoami`)).status, 401);
  t.like((await s.as(root.accessToken, 'GET', `${USERS}/${enc(alice.userId)}`)).body, { deactivated: true, erased: true, displayname: null });
  t.is((await s.as(root.accessToken, 'POST', `/_synapse/admin/v1/deactivate/${enc('@ghost:hs.test')}`)).status, 404);
  // An empty body is accepted, as Synapse does.
  t.is((await s.as(root.accessToken, 'POST', `/_synapse/admin/v1/deactivate/${enc(bob.userId)}`)).status, 200);
});

test('registration tokens: create, list, get, update, delete, and validation', async (t) => {
  const s = await startUsersServer(t);
  const root = await createUser(s, 'root', { admin: true });
  const random = await s.as(root.accessToken, 'POST', `${TOKENS}/new`, {});
  t.is(random.status, 200);
  t.regex(random.body.token, /^[A-Za-z0-9._~-]{16}$/);
  t.deepEqual({ ...random.body, token: 'x' }, { token: 'x', uses_allowed: null, pending: 0, completed: 0, expiry_time: null });
  t.is((await s.as(root.accessToken, 'POST', `${TOKENS}/new`, { length: 5 })).body.token.length, 5);
  const named = await s.as(root.accessToken, 'POST', `${TOKENS}/new`, { token: 'defg', uses_allowed: 0 });
  t.is(named.body.token, 'defg');

  const all = (await s.as(root.accessToken, 'GET', TOKENS)).body.registration_tokens;
  t.is(all.length, 3);
  t.deepEqual((await s.as(root.accessToken, 'GET', `${TOKENS}?valid=false`)).body.registration_tokens.map((x: any) => x.token), ['defg']);
  t.is((await s.as(root.accessToken, 'GET', `${TOKENS}?valid=true`)).body.registration_tokens.length, 2);

  const future = Date.now() + 86_400_000;
  const updated = await s.as(root.accessToken, 'PUT', `${TOKENS}/defg`, { uses_allowed: null, expiry_time: future });
  t.deepEqual(updated.body, { token: 'defg', uses_allowed: null, pending: 0, completed: 0, expiry_time: future });
  t.deepEqual((await s.as(root.accessToken, 'GET', `${TOKENS}/defg`)).body, updated.body);
  t.deepEqual((await s.as(root.accessToken, 'DELETE', `${TOKENS}/defg`)).body, {});
  const gone = await s.as(root.accessToken, 'GET', `${TOKENS}/defg`);
  t.is(gone.status, 404);
  t.is(gone.body.errcode, 'M_NOT_FOUND');
  t.is((await s.as(root.accessToken, 'PUT', `${TOKENS}/defg`, {})).status, 404);
  t.is((await s.as(root.accessToken, 'DELETE', `${TOKENS}/defg`)).status, 404);

  for (const [body, errcode] of [
    [{ token: 'has space' }, 'M_INVALID_PARAM'],
    [{ token: 'x'.repeat(65) }, 'M_INVALID_PARAM'],
    [{ uses_allowed: -1 }, 'M_BAD_JSON'],
    [{ uses_allowed: 1.5 }, 'M_BAD_JSON'],
    [{ expiry_time: 1000 }, 'M_INVALID_PARAM'],
    [{ length: 65 }, 'M_BAD_JSON'],
    [{ token: random.body.token }, 'M_INVALID_PARAM'],
  ] as const) {
    const res = await s.as(root.accessToken, 'POST', `${TOKENS}/new`, body);
    t.is(res.status, 400, JSON.stringify(body));
    t.is(res.body.errcode, errcode, JSON.stringify(body));
  }
});
