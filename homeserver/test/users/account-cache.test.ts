import test, { type ExecutionContext } from 'ava';
import type { Knex } from 'knex';
import { createLogger } from '../../src/log/logger.js';
import { migrate } from '../../src/db/migrations.js';
import { allMigrations } from '../../src/db/schema.js';
import { UsersService } from '../../src/components/users/service.js';
import { createTestDatabase } from '../helpers/database.js';
import { C, createUser, enc, startUsersServer } from './helpers.js';

/** A fresh database with every migration run, dropped when the test ends. */
async function migratedDatabase(t: ExecutionContext): Promise<Knex> {
  const tdb = await createTestDatabase();
  const { db, close } = tdb.open();
  t.teardown(async () => {
    await close();
    await tdb.drop();
  });
  await migrate(db, allMigrations());
  return db;
}

const ADMIN = '/_synapse/admin/v2/users';

test('registrations racing for one username: one account, the others M_USER_IN_USE', async (t) => {
  const s = await startUsersServer(t, { HS_OPEN_REGISTRATION: '1' });
  // All pass the early in-use check together; the account's key decides.
  const tries = await Promise.all(
    Array.from({ length: 4 }, () => s.request('POST', `${C}/register`, { username: 'juliet', password: 'pw', auth: { type: 'm.login.dummy' }, inhibit_login: true })),
  );
  t.deepEqual(tries.filter((r) => r.status === 200).length, 1, JSON.stringify(tries.map((r) => r.body)));
  for (const r of tries.filter((x) => x.status !== 200)) t.deepEqual([r.status, r.body.errcode], [400, 'M_USER_IN_USE']);
  const database = s.database.open();
  try {
    t.deepEqual(await database.db('users_accounts').where({ user_id: '@juliet:hs.test' }).pluck('user_id'), ['@juliet:hs.test']);
    t.deepEqual(await database.db('users_profiles').where({ user_id: '@juliet:hs.test' }).pluck('value'), ['juliet']);
  } finally {
    await database.close();
  }
  t.is((await s.request('POST', `${C}/login`, { type: 'm.login.password', user: 'juliet', password: 'pw' })).status, 200);
});

test('account changes reach the next login at once, though the account was just read', async (t) => {
  const s = await startUsersServer(t);
  const root = await createUser(s, 'root', { admin: true });
  const romeo = await createUser(s, 'romeo', { password: 'first' });
  const login = (password: string) => s.request('POST', `${C}/login`, { type: 'm.login.password', user: 'romeo', password });
  const admin = (body: Record<string, unknown>) => s.as(root.accessToken, 'PUT', `${ADMIN}/${enc(romeo.userId)}`, body);

  t.is((await login('first')).status, 200);
  t.is((await admin({ locked: true })).status, 200);
  t.is((await login('first')).body.errcode, 'M_USER_LOCKED');
  await admin({ locked: false });
  t.is((await login('first')).status, 200);

  await admin({ password: 'second' });
  t.is((await login('first')).status, 403);
  t.is((await login('second')).status, 200);

  await admin({ admin: true });
  const token = (await login('second')).body.access_token as string;
  t.is((await s.as(token, 'GET', `${ADMIN}/${enc(romeo.userId)}`)).status, 200);
  await admin({ admin: false });
  t.is((await s.as(token, 'GET', `${ADMIN}/${enc(romeo.userId)}`)).status, 403);

  await admin({ deactivated: true });
  t.is((await login('second')).status, 403);
  t.is((await s.as(token, 'GET', `${C}/account/whoami`)).status, 401);
  await admin({ deactivated: false, password: 'third' });
  t.is((await login('third')).status, 200);
});

test('profile fields written at once are all kept, and joins see the latest name', async (t) => {
  const s = await startUsersServer(t);
  const alice = await createUser(s, 'alice');
  const me = enc(alice.userId);
  // Read first, so the profile is held in memory while the writes come in.
  t.deepEqual((await s.request('GET', `${C}/profile/${me}`)).body, { displayname: 'alice' });
  const writes = await Promise.all([
    s.as(alice.accessToken, 'PUT', `${C}/profile/${me}/displayname`, { displayname: 'Alice' }),
    s.as(alice.accessToken, 'PUT', `${C}/profile/${me}/avatar_url`, { avatar_url: 'mxc://hs.test/a' }),
    s.as(alice.accessToken, 'PUT', `${C}/profile/${me}/m.tz`, { 'm.tz': 'Europe/Verona' }),
  ]);
  t.deepEqual(writes.map((w) => w.status), [200, 200, 200]);
  t.deepEqual((await s.request('GET', `${C}/profile/${me}`)).body, { displayname: 'Alice', avatar_url: 'mxc://hs.test/a', 'm.tz': 'Europe/Verona' });

  const room = (await s.as(alice.accessToken, 'POST', `${C}/createRoom`, { preset: 'public_chat' })).body.room_id as string;
  const bob = await createUser(s, 'bob');
  t.is((await s.request('GET', `${C}/profile/${enc(bob.userId)}`)).body.displayname, 'bob');
  await s.as(bob.accessToken, 'PUT', `${C}/profile/${enc(bob.userId)}/displayname`, { displayname: 'Robert' });
  t.is((await s.as(bob.accessToken, 'POST', `${C}/rooms/${enc(room)}/join`, {})).status, 200);
  const member = await s.as(bob.accessToken, 'GET', `${C}/rooms/${enc(room)}/state/m.room.member/${enc(bob.userId)}`);
  t.is(member.body.displayname, 'Robert');

  await s.as(bob.accessToken, 'DELETE', `${C}/profile/${enc(bob.userId)}/displayname`);
  t.deepEqual((await s.request('GET', `${C}/profile/${enc(bob.userId)}`)).body, {});
});

test('service: the first-run token is cleared by the first account, and again at a start with accounts', async (t) => {
  const db = await migratedDatabase(t);
  const settings = { serverName: 'hs.test', openRegistration: true, sharedSecret: undefined, refreshableLifetimeMs: 300_000 };
  const log = createLogger('silent');
  const adminTokens = async () => (await db('users_registration_tokens').where({ grants_admin: true }).pluck('token')) as string[];

  const first = new UsersService(db, log, settings);
  const token = await first.bootstrap();
  t.deepEqual(await adminTokens(), [token]);
  t.deepEqual(await first.createAccount({ userId: '@owner:hs.test', password: null }), { admin: false });
  t.deepEqual(await adminTokens(), []);
  await first.createAccount({ userId: '@second:hs.test', password: null });
  await t.throwsAsync(() => first.createAccount({ userId: '@second:hs.test', password: null }), { message: 'User ID already taken.' });

  // A token left over (say, from a crash between its creation and the first account) goes at the next start.
  await db('users_registration_tokens').insert({ token: 'left-over', uses_allowed: 1, pending: 0, completed: 0, expiry_time: null, grants_admin: true });
  const restarted = new UsersService(db, log, settings);
  t.is(await restarted.bootstrap(), undefined);
  t.deepEqual(await adminTokens(), []);
});

test('service: a token issued at login works at once, and stops when the account is locked', async (t) => {
  const db = await migratedDatabase(t);
  const users = new UsersService(db, createLogger('silent'), { serverName: 'hs.test', openRegistration: true, sharedSecret: undefined, refreshableLifetimeMs: 300_000 });
  await users.createAccount({ userId: '@nurse:hs.test', password: null, admin: true });
  const client = { ip: '127.0.0.1', userAgent: undefined };
  const plain = await users.login('@nurse:hs.test', { refresh: false });
  t.deepEqual(await users.authenticate(plain.access_token, client), { userId: '@nurse:hs.test', deviceId: plain.device_id, isAdmin: true });
  const refreshing = await users.login('@nurse:hs.test', { deviceId: 'PHONE', refresh: true });
  t.is(refreshing.device_id, 'PHONE');
  t.is((await users.authenticate(refreshing.access_token, client)).deviceId, 'PHONE');
  // Logging in again with the named device replaces its session: the old token, though cached, is gone.
  const again = await users.login('@nurse:hs.test', { deviceId: 'PHONE', refresh: false });
  await t.throwsAsync(() => users.authenticate(refreshing.access_token, client), { message: 'Unrecognised access token' });
  t.is((await users.authenticate(again.access_token, client)).deviceId, 'PHONE');

  await users.updateAccount('@nurse:hs.test', { locked: true });
  await t.throwsAsync(() => users.authenticate(plain.access_token, client), { message: 'This account has been locked' });
});
