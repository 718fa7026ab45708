import test from 'ava';
import { C, createUser, startUsersServer, type UsersTestServer } from './helpers.js';

const ADMIN_TOKENS = '/_synapse/admin/v1/registration_tokens';

async function adminToken(s: UsersTestServer): Promise<string> {
  return (await createUser(s, 'root', { admin: true })).accessToken;
}

test('closed registration offers only the registration-token flow; no auth is a 401 with a session', async (t) => {
  const s = await startUsersServer(t);
  const res = await s.request('POST', `${C}/register`, { username: 'alice', password: 'pw' });
  t.is(res.status, 401);
  t.deepEqual(res.body.flows, [{ stages: ['m.login.registration_token'] }]);
  t.deepEqual(res.body.params, {});
  t.is(typeof res.body.session, 'string');
  t.is(res.body.errcode, undefined);
  // Dummy auth is not accepted while registration is closed.
  const dummy = await s.request('POST', `${C}/register`, { username: 'alice', password: 'pw', auth: { type: 'm.login.dummy', session: res.body.session } });
  t.is(dummy.status, 401);
  t.is(dummy.body.errcode, 'M_UNRECOGNIZED');
});

test('open registration: m.login.dummy completes, makes a device and answers tokens', async (t) => {
  const s = await startUsersServer(t, { HS_OPEN_REGISTRATION: '1' });
  const first = await s.request('POST', `${C}/register`, {});
  t.is(first.status, 401);
  t.deepEqual(first.body.flows, [{ stages: ['m.login.registration_token'] }, { stages: ['m.login.dummy'] }]);
  const res = await s.request('POST', `${C}/register`, {
    username: 'Alice',
    password: 'correct horse',
    device_id: 'MYPHONE',
    initial_device_display_name: 'Phone',
    auth: { type: 'm.login.dummy', session: first.body.session },
  });
  t.is(res.status, 200, JSON.stringify(res.body));
  t.is(res.body.user_id, '@alice:hs.test', 'case is folded');
  t.is(res.body.device_id, 'MYPHONE');
  t.is(res.body.home_server, 'hs.test');
  t.regex(res.body.access_token, /^hat_[A-Za-z0-9_-]{43}$/);
  t.is(res.body.refresh_token, undefined);
  t.is(res.body.expires_in_ms, undefined);
  const devices = await s.as(res.body.access_token, 'GET', `${C}/devices`);
  t.deepEqual(devices.body.devices.map((d: any) => [d.device_id, d.display_name]), [['MYPHONE', 'Phone']]);
  const profile = await s.request('GET', `${C}/profile/${encodeURIComponent('@alice:hs.test')}`);
  t.deepEqual(profile.body, { displayname: 'alice' });
  // The session is spent once used.
  const again = await s.request('POST', `${C}/register`, { username: 'bob', password: 'x', auth: { type: 'm.login.dummy', session: first.body.session } });
  t.is(again.status, 400);
});

test('username rules: invalid, taken (before UIA), generated, inhibit_login, refresh_token', async (t) => {
  const s = await startUsersServer(t, { HS_OPEN_REGISTRATION: '1' });
  const register = async (body: Record<string, unknown>) => {
    const first = await s.request('POST', `${C}/register`, body);
    if (first.status !== 401) return first;
    return s.request('POST', `${C}/register`, { ...body, auth: { type: 'm.login.dummy', session: first.body.session } });
  };
  for (const username of ['al ice', 'al:ice', 'ali€e', '', 'x'.repeat(250), 'y'.repeat(600)]) {
    const res = await s.request('POST', `${C}/register`, { username, password: 'pw' });
    t.is(res.status, 400, username);
    t.is(res.body.errcode, 'M_INVALID_USERNAME', username);
  }
  t.is((await register({ username: 'bob', password: 'pw' })).status, 200);
  const taken = await s.request('POST', `${C}/register`, { username: 'BOB', password: 'pw' });
  t.is(taken.status, 400);
  t.is(taken.body.errcode, 'M_USER_IN_USE');

  const generated = await register({ password: 'pw' });
  t.is(generated.status, 200);
  t.regex(generated.body.user_id, /^@[a-z0-9]+:hs\.test$/);

  const inhibited = await register({ username: 'carol', password: 'pw', inhibit_login: true });
  t.deepEqual(inhibited.body, { user_id: '@carol:hs.test', home_server: 'hs.test' });

  const refreshing = await register({ username: 'dave', password: 'pw', refresh_token: true });
  t.regex(refreshing.body.refresh_token, /^hrt_/);
  t.is(refreshing.body.expires_in_ms, 300_000);

  const noPassword = await register({ username: 'erin' });
  t.is(noPassword.status, 400);
  t.is(noPassword.body.errcode, 'M_MISSING_PARAM');

  const guest = await s.request('POST', `${C}/register?kind=guest`, {});
  t.is(guest.status, 403);
  t.is(guest.body.errcode, 'M_GUEST_ACCESS_FORBIDDEN');

  const wrongType = await s.request('POST', `${C}/register`, { username: 5, password: 'pw' });
  t.is(wrongType.status, 400);
  t.is(wrongType.body.errcode, 'M_BAD_JSON');
  const notJson = await s.request('POST', `${C}/register`, '{"username":');
  t.is(notJson.body.errcode, 'M_NOT_JSON');
});

test('GET /register/available', async (t) => {
  const s = await startUsersServer(t);
  await createUser(s, 'alice');
  const free = await s.request('GET', `${C}/register/available?username=bob`);
  t.deepEqual([free.status, free.body], [200, { available: true }]);
  const taken = await s.request('GET', `${C}/register/available?username=alice`);
  t.deepEqual([taken.status, taken.body.errcode], [400, 'M_USER_IN_USE']);
  const bad = await s.request('GET', `${C}/register/available?username=a%20b`);
  t.is(bad.body.errcode, 'M_INVALID_USERNAME');
  const missing = await s.request('GET', `${C}/register/available`);
  t.is(missing.body.errcode, 'M_MISSING_PARAM');
});

test('registration tokens: uses are counted pending then completed, and run out', async (t) => {
  const s = await startUsersServer(t);
  const admin = await adminToken(s);
  const created = await s.as(admin, 'POST', `${ADMIN_TOKENS}/new`, { token: 'invite-1', uses_allowed: 1 });
  t.deepEqual(created.body, { token: 'invite-1', uses_allowed: 1, pending: 0, completed: 0, expiry_time: null });

  const validity = (token: string) => s.request('GET', `/_matrix/client/v1/register/m.login.registration_token/validity?token=${token}`);
  t.deepEqual((await validity('invite-1')).body, { valid: true });
  t.deepEqual((await validity('nope')).body, { valid: false });
  t.is((await s.request('GET', '/_matrix/client/v1/register/m.login.registration_token/validity')).body.errcode, 'M_MISSING_PARAM');

  const first = await s.request('POST', `${C}/register`, { username: 'alice', password: 'pw' });
  const wrong = await s.request('POST', `${C}/register`, { username: 'alice', password: 'pw', auth: { type: 'm.login.registration_token', token: 'nope', session: first.body.session } });
  t.is(wrong.status, 401);
  t.is(wrong.body.errcode, 'M_UNAUTHORIZED');
  t.is(wrong.body.session, first.body.session);
  t.deepEqual(wrong.body.flows, first.body.flows);

  // Without a password the stage is still spent: the use stays pending for the retry.
  const noPassword = await s.request('POST', `${C}/register`, { username: 'alice', auth: { type: 'm.login.registration_token', token: 'invite-1', session: first.body.session } });
  t.is(noPassword.body.errcode, 'M_MISSING_PARAM');
  t.like((await s.as(admin, 'GET', `${ADMIN_TOKENS}/invite-1`)).body, { pending: 1, completed: 0 });
  t.deepEqual((await validity('invite-1')).body, { valid: false }, 'a pending use takes the only use');

  const done = await s.request('POST', `${C}/register`, { username: 'alice', password: 'pw', auth: { session: first.body.session } });
  t.is(done.status, 200, JSON.stringify(done.body));
  t.is(done.body.user_id, '@alice:hs.test');
  t.like((await s.as(admin, 'GET', `${ADMIN_TOKENS}/invite-1`)).body, { pending: 0, completed: 1 });

  const other = await s.request('POST', `${C}/register`, { username: 'bob', password: 'pw' });
  const usedUp = await s.request('POST', `${C}/register`, { username: 'bob', password: 'pw', auth: { type: 'm.login.registration_token', token: 'invite-1', session: other.body.session } });
  t.is(usedUp.status, 401);
  t.is(usedUp.body.errcode, 'M_UNAUTHORIZED');
  t.is((await s.as(done.body.access_token, 'GET', `${C}/account/whoami`)).body.user_id, '@alice:hs.test');
});

test('an expired registration token is refused', async (t) => {
  const s = await startUsersServer(t);
  const admin = await adminToken(s);
  await s.as(admin, 'POST', `${ADMIN_TOKENS}/new`, { token: 'soon', expiry_time: Date.now() + 300 });
  await new Promise((r) => setTimeout(r, 400));
  const first = await s.request('POST', `${C}/register`, { username: 'alice', password: 'pw' });
  const res = await s.request('POST', `${C}/register`, { username: 'alice', password: 'pw', auth: { type: 'm.login.registration_token', token: 'soon', session: first.body.session } });
  t.is(res.status, 401);
  t.is(res.body.errcode, 'M_UNAUTHORIZED');
});

test('first run: a one-time token is logged while no account exists, and its user becomes admin', async (t) => {
  const s = await startUsersServer(t);
  const line = s.logLines().find((l) => typeof l.firstRunRegistrationToken === 'string');
  t.truthy(line, 'the token is in the log');
  const token = line!.firstRunRegistrationToken as string;
  t.true(String(line!.msg).includes(token));
  t.deepEqual((await s.request('GET', `/_matrix/client/v1/register/m.login.registration_token/validity?token=${token}`)).body, { valid: true });

  const first = await s.request('POST', `${C}/register`, { username: 'owner', password: 'pw' });
  const res = await s.request('POST', `${C}/register`, { username: 'owner', password: 'pw', auth: { type: 'm.login.registration_token', token, session: first.body.session } });
  t.is(res.status, 200, JSON.stringify(res.body));
  const me = await s.as(res.body.access_token, 'GET', `/_synapse/admin/v2/users/${encodeURIComponent('@owner:hs.test')}`);
  t.is(me.status, 200);
  t.is(me.body.admin, true);
  // It is gone now, and not listed among the admins' tokens.
  t.deepEqual((await s.request('GET', `/_matrix/client/v1/register/m.login.registration_token/validity?token=${token}`)).body, { valid: false });
  t.deepEqual((await s.as(res.body.access_token, 'GET', ADMIN_TOKENS)).body, { registration_tokens: [] });
});

test('the first-run token goes away when the first account is made another way', async (t) => {
  const s = await startUsersServer(t);
  const token = s.logLines().find((l) => typeof l.firstRunRegistrationToken === 'string')!.firstRunRegistrationToken as string;
  await createUser(s, 'someone');
  t.deepEqual((await s.request('GET', `/_matrix/client/v1/register/m.login.registration_token/validity?token=${token}`)).body, { valid: false });
});

test('a UIA session cannot be carried over to another operation', async (t) => {
  const s = await startUsersServer(t, { HS_OPEN_REGISTRATION: '1' });
  const alice = await createUser(s, 'alice');
  const started = await s.as(alice.accessToken, 'POST', `${C}/delete_devices`, { devices: ['X'] });
  t.is(started.status, 401);
  const res = await s.request('POST', `${C}/register`, { username: 'bob', password: 'pw', auth: { type: 'm.login.dummy', session: started.body.session } });
  t.is(res.status, 403);
  const unknown = await s.request('POST', `${C}/register`, { username: 'bob', password: 'pw', auth: { type: 'm.login.dummy', session: 'nonexistent' } });
  t.is(unknown.status, 400);
});

test('a flow completed by its first request stores no UIA session; one that needs more does', async (t) => {
  const s = await startUsersServer(t, { HS_OPEN_REGISTRATION: '1' });
  const sessions = async () => {
    const database = s.database.open();
    try {
      return (await database.db('users_uia_sessions').select('session_id')).map((r: { session_id: string }) => r.session_id);
    } finally {
      await database.close();
    }
  };
  const direct = await s.request('POST', `${C}/register`, { username: 'alice', password: 'pw', auth: { type: 'm.login.dummy' } });
  t.is(direct.status, 200);
  t.deepEqual(await sessions(), []);
  const challenged = await s.request('POST', `${C}/register`, { username: 'bob', password: 'pw' });
  t.is(challenged.status, 401);
  t.deepEqual(await sessions(), [challenged.body.session]);
  const finished = await s.request('POST', `${C}/register`, { username: 'bob', password: 'pw', auth: { type: 'm.login.dummy', session: challenged.body.session } });
  t.is(finished.status, 200);
  t.deepEqual(await sessions(), []);
});
