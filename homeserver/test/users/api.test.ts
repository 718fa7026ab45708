import test, { type ExecutionContext } from 'ava';
import { loadConfig } from '../../src/config/load.js';
import { migrate } from '../../src/db/migrations.js';
import { allMigrations } from '../../src/db/schema.js';
import { createLogger } from '../../src/log/logger.js';
import { createUsers } from '../../src/components/users/index.js';
import type { ProfileSummary } from '../../src/components/users/api.js';
import { requireAuth, getRequester } from '../../src/http/auth.js';
import { startStack } from '../helpers/app.js';
import { createTestDatabase } from '../helpers/database.js';
import { C, createUser, enc, passwordAuth, USERS_TEST_ENV } from './helpers.js';
import type { TestServer } from '../helpers/server.js';

/**
 * The component as the composition root builds it, its routes on the real HTTP stack, so a test
 * can act over HTTP and watch what api.ts tells other components.
 */
async function component(t: ExecutionContext) {
  const tdb = await createTestDatabase();
  const database = tdb.open();
  const users = createUsers({ db: database.db, log: createLogger('silent'), config: loadConfig({ env: { HS_SERVER_NAME: 'hs.test', ...USERS_TEST_ENV } }) });
  t.teardown(async () => {
    await users.stop?.();
    await database.close();
    await tdb.drop();
  });
  await migrate(database.db, allMigrations());
  await users.start?.();
  const { url } = await startStack(
    t,
    (router) => {
      users.routes?.(router);
      // What another component's authenticated route looks like.
      router.get('/_test/whoami', requireAuth(users.api.authenticate), (ctx) => {
        ctx.body = getRequester(ctx);
      });
    },
    { maxJsonBodyBytes: 1 << 20 },
  );
  const request: TestServer['request'] = async (method, urlPath, body, headers = {}) => {
    const res = await fetch(`${url}${urlPath}`, { method, headers: { 'Content-Type': 'application/json', ...headers }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
  };
  const s = { request } as TestServer;
  const as = (token: string, method: string, path: string, body?: unknown) => request(method, path, body, { Authorization: `Bearer ${token}` });
  return { api: users.api, s, as };
}

test('requireAuth with the api: requester for other components, errors for bad tokens', async (t) => {
  const { s, as } = await component(t);
  const root = await createUser(s, 'root', { admin: true });
  const alice = await createUser(s, 'alice');
  t.deepEqual((await as(root.accessToken, 'GET', '/_test/whoami')).body, { userId: root.userId, deviceId: root.deviceId, isAdmin: true });
  t.deepEqual((await as(alice.accessToken, 'GET', '/_test/whoami')).body, { userId: alice.userId, deviceId: alice.deviceId, isAdmin: false });
  t.is((await s.request('GET', '/_test/whoami')).body.errcode, 'M_MISSING_TOKEN');
  t.is((await as('hat_x', 'GET', '/_test/whoami')).body.errcode, 'M_UNKNOWN_TOKEN');
});

test('api reads: userExists, isAdmin, getProfile(s), getDevices, getFilter', async (t) => {
  const { api, s, as } = await component(t);
  const root = await createUser(s, 'root', { admin: true });
  const alice = await createUser(s, 'alice');
  t.true(await api.userExists(alice.userId));
  t.false(await api.userExists('@nobody:hs.test'));
  t.true(await api.isAdmin(root.userId));
  t.false(await api.isAdmin(alice.userId));
  await as(alice.accessToken, 'PUT', `${C}/profile/${enc(alice.userId)}/avatar_url`, { avatar_url: 'mxc://hs.test/a' });
  await as(alice.accessToken, 'PUT', `${C}/profile/${enc(alice.userId)}/m.tz`, { 'm.tz': 'UTC' });
  t.deepEqual(await api.getProfile(alice.userId), { displayname: 'alice', avatar_url: 'mxc://hs.test/a' });
  t.is(await api.getProfile('@nobody:hs.test'), undefined);
  const many = await api.getProfiles([alice.userId, root.userId, '@nobody:hs.test']);
  t.deepEqual([...many.entries()].sort(), [
    [alice.userId, { displayname: 'alice', avatar_url: 'mxc://hs.test/a' }],
    [root.userId, { displayname: 'root' }],
  ]);
  t.deepEqual(await api.getDevices(alice.userId), [{ deviceId: alice.deviceId, displayName: null }]);
  const filterId = (await as(alice.accessToken, 'POST', `${C}/user/${enc(alice.userId)}/filter`, { room: { timeline: { limit: 5 } } })).body.filter_id;
  t.deepEqual(await api.getFilter(alice.userId, filterId), { room: { timeline: { limit: 5 } } });
  t.is(await api.getFilter(root.userId, filterId), undefined);

  await as(root.accessToken, 'POST', `/_synapse/admin/v1/deactivate/${enc(alice.userId)}`, {});
  t.false(await api.userExists(alice.userId));
});

test('account data stream: positions only grow; accountDataSince gives changes after a position', async (t) => {
  const { api, s, as } = await component(t);
  const alice = await createUser(s, 'alice');
  const bob = await createUser(s, 'bob');
  const seen: Array<[string, number]> = [];
  api.onAccountDataChanged((userId, streamId) => {
    seen.push([userId, streamId]);
  });
  t.is(await api.accountDataPosition(), 0);
  const put = (u: typeof alice, path: string, body: unknown) => as(u.accessToken, 'PUT', `${C}/user/${enc(u.userId)}${path}`, body);
  await put(alice, '/account_data/m.direct', { '@bob:hs.test': ['!r:hs.test'] });
  await put(bob, '/account_data/m.direct', {});
  await put(alice, '/rooms/!r:hs.test/account_data/org.example.x', { a: 1 });
  const mid = await api.accountDataPosition();
  await put(alice, '/account_data/m.direct', { '@bob:hs.test': ['!r:hs.test', '!s:hs.test'] });
  await put(alice, '/rooms/!r:hs.test/tags/m.favourite', {});

  t.deepEqual(seen.map(([u]) => u), [alice.userId, bob.userId, alice.userId, alice.userId, alice.userId]);
  const ids = seen.map(([, id]) => id);
  t.deepEqual(ids, [...ids].sort((a, b) => a - b), 'positions grow');
  t.is(new Set(ids).size, ids.length);
  t.is(await api.accountDataPosition(), ids[ids.length - 1]!);

  const all = await api.accountDataSince(alice.userId, 0);
  t.deepEqual(all.map((c) => [c.roomId, c.type]), [
    ['!r:hs.test', 'org.example.x'],
    [null, 'm.direct'],
    ['!r:hs.test', 'm.tag'],
  ], 'one entry per item, at its latest position');
  const after = await api.accountDataSince(alice.userId, mid);
  t.deepEqual(after.map((c) => [c.type, c.content]), [
    ['m.direct', { '@bob:hs.test': ['!r:hs.test', '!s:hs.test'] }],
    ['m.tag', { tags: { 'm.favourite': {} } }],
  ]);
  t.deepEqual(await api.accountDataSince(alice.userId, ids[ids.length - 1]!), []);
  t.is((await api.accountDataSince(alice.userId, 0, 1)).length, 1);
  t.deepEqual(await api.getAccountData(alice.userId, null, 'm.direct'), { '@bob:hs.test': ['!r:hs.test', '!s:hs.test'] });
});

test('hooks: profile changes, deleted devices and deactivation reach listeners', async (t) => {
  const { api, s, as } = await component(t);
  const alice = await createUser(s, 'alice');
  const profiles: Array<[string, ProfileSummary]> = [];
  const deleted: Array<[string, string[]]> = [];
  const deactivated: Array<[string, { erase: boolean }]> = [];
  api.onProfileChanged(async (u, p) => {
    profiles.push([u, p]);
  });
  api.onDevicesDeleted((u, d) => void deleted.push([u, d]));
  api.onDeactivated((u, o) => void deactivated.push([u, o]));
  // A failing listener is logged and does not fail the request or stop the others.
  api.onProfileChanged(() => {
    throw new Error('listener broke');
  });

  const p = `${C}/profile/${enc(alice.userId)}`;
  t.is((await as(alice.accessToken, 'PUT', `${p}/displayname`, { displayname: 'Alice' })).status, 200);
  await as(alice.accessToken, 'PUT', `${p}/avatar_url`, { avatar_url: 'mxc://hs.test/x' });
  await as(alice.accessToken, 'PUT', `${p}/avatar_url`, { avatar_url: 'mxc://hs.test/x' });
  await as(alice.accessToken, 'PUT', `${p}/org.example.custom`, { 'org.example.custom': 1 });
  await as(alice.accessToken, 'DELETE', `${p}/avatar_url`);
  t.deepEqual(profiles, [
    [alice.userId, { displayname: 'Alice' }],
    [alice.userId, { displayname: 'Alice', avatar_url: 'mxc://hs.test/x' }],
    [alice.userId, { displayname: 'Alice' }],
  ], 'only displayname and avatar_url changes, once per change');

  const phone = (await s.request('POST', `${C}/login`, { type: 'm.login.password', user: 'alice', password: alice.password, device_id: 'PHONE' })).body;
  await as(phone.access_token, 'POST', `${C}/logout`);
  t.deepEqual(deleted, [[alice.userId, ['PHONE']]]);

  const first = await as(alice.accessToken, 'POST', `${C}/account/deactivate`, { erase: true });
  await as(alice.accessToken, 'POST', `${C}/account/deactivate`, { erase: true, auth: passwordAuth(alice, first.body.session) });
  t.deepEqual(deactivated, [[alice.userId, { erase: true }]]);
  t.deepEqual(deleted[deleted.length - 1], [alice.userId, [alice.deviceId]]);
});
