import test from 'ava';
import { migrate } from '../../src/db/migrations.js';
import { allMigrations } from '../../src/db/schema.js';
import { Uia } from '../../src/components/users/uia.js';
import * as accounts from '../../src/components/users/storage/accounts.js';
import * as accountData from '../../src/components/users/storage/account-data.js';
import * as devices from '../../src/components/users/storage/devices.js';
import * as profiles from '../../src/components/users/storage/profiles.js';
import * as regTokens from '../../src/components/users/storage/registration-tokens.js';
import * as tokens from '../../src/components/users/storage/tokens.js';
import { createTestDatabase, postgresServerUrl } from '../helpers/database.js';
import { WriteBatch } from '../../src/db/write-batch.js';
import { isUniqueViolation } from '../../src/db/errors.js';

/** The users component's hand-written SQL must behave the same on PostgreSQL and on PGlite. */
async function exercise(kind: 'postgres' | 'pglite') {
  const tdb = await createTestDatabase(kind);
  const { db, close } = tdb.open();
  try {
    await migrate(db, allMigrations());
    const account = (userId: string, created: number) => ({ user_id: userId, password_hash: null, is_admin: false, deactivated: false, erased: false, locked: false, user_type: null, created_ts: created });
    const now = 1_700_000_000_000;
    const run = (...statements: string[]) => new WriteBatch().add(...statements).commit(db);
    await run(accounts.insertAccountSql(account('@b:hs', now)));
    const created = await new WriteBatch().add(accounts.insertAccountSql(account('@a:hs', now + 1)), accounts.selectAccountSql('@a:hs')).commitReading<Record<string, unknown>>(db);
    const dup = await run(accounts.insertAccountSql(account('@a:hs', now))).then(
      () => 'inserted',
      (err: unknown) => isUniqueViolation(err, accounts.ACCOUNT_KEY),
    );
    await profiles.setProfileField(db, '@b:hs', 'displayname', 'Zed 100%');
    await run(devices.insertDeviceSql('@a:hs', 'D1', null, now, false), devices.insertDeviceSql('@a:hs', 'D2', 'phone', now, false));
    const deviceDup = await run(devices.insertDeviceSql('@a:hs', 'D2', null, now, false)).then(
      () => 'inserted',
      (err: unknown) => isUniqueViolation(err, devices.DEVICE_KEY),
    );
    await run(devices.insertDeviceSql('@a:hs', 'D2', 'other name', now, true));
    const kept = (await devices.getDevice(db, '@a:hs', 'D2'))?.display_name;
    await devices.writeLastSeen(db, [
      { userId: '@a:hs', deviceId: 'D1', ts: now + 5, ip: '10.0.0.1', userAgent: 'x' },
      { userId: '@a:hs', deviceId: 'D2', ts: now + 9, ip: '10.0.0.2', userAgent: null },
      { userId: '@gone:hs', deviceId: 'D9', ts: now, ip: '10.0.0.3', userAgent: null },
    ]);
    const listed = await accounts.listAccounts(db, { from: 0, limit: 10, deactivated: 'exclude', orderBy: 'name', direction: 'asc' });
    const byName = await accounts.listAccounts(db, { from: 0, limit: 10, name: '100%', deactivated: 'exclude', orderBy: 'displayname', direction: 'desc' });

    const p1 = await accountData.putAccountData(db, '@a:hs', null, 'm.direct', { x: 1 });
    const p2 = await accountData.putAccountData(db, '@a:hs', '!r:hs', 'm.tag', { tags: {} });
    const p3 = await accountData.putAccountData(db, '@a:hs', null, 'm.direct', null);
    const since = await accountData.accountDataSince(db, '@a:hs', p1);

    await regTokens.insertToken(db, { token: 'tok', uses_allowed: 1, expiry_time: null, grants_admin: false });
    const claims = [await regTokens.claimPendingUse(db, 'tok', now), await regTokens.claimPendingUse(db, 'tok', now)];
    await run(regTokens.completeUseSql('tok'));
    const completed = await regTokens.getToken(db, 'tok');
    // A token that makes admins makes the account inserted with it one; another token does not.
    await regTokens.insertToken(db, { token: 'boss', uses_allowed: null, expiry_time: null, grants_admin: true });
    await run(accounts.insertAccountSql(account('@c:hs', now), regTokens.grantsAdminSql('boss')), accounts.insertAccountSql(account('@d:hs', now), regTokens.grantsAdminSql('tok')));
    const admins = [(await accounts.getAccount(db, '@c:hs'))?.is_admin, (await accounts.getAccount(db, '@d:hs'))?.is_admin];
    await run(regTokens.deleteAdminTokensSql());
    const bossLeft = await regTokens.getToken(db, 'boss');
    await run(`DELETE FROM users_accounts WHERE user_id IN ('@c:hs', '@d:hs')`);
    const validList = await regTokens.listTokens(db, true, now);
    const invalidList = await regTokens.listTokens(db, false, now);

    // An abandoned UIA session gives its pending use back.
    await regTokens.insertToken(db, { token: 'tok2', uses_allowed: 1, expiry_time: null, grants_admin: false });
    let clock = now;
    const uia = new Uia(db, () => clock);
    const challenge = await uia.check({ operation: 'register', flows: [['m.login.registration_token', 'm.login.dummy']], auth: { type: 'm.login.registration_token', token: 'tok2' } }).catch((e: { toJSON(): Record<string, unknown> }) => e.toJSON());
    const pendingBefore = (await regTokens.getToken(db, 'tok2'))!.pending;
    clock += 2 * 3600_000;
    await uia.sweep();
    const pendingAfter = (await regTokens.getToken(db, 'tok2'))!.pending;

    const issued = await new WriteBatch()
      .add(
        tokens.insertRefreshTokenSql({ token_hash: 'r1', user_id: '@a:hs', device_id: 'D1', created_ts: now }),
        tokens.insertAccessTokenSql({ token_hash: 'a1', user_id: '@a:hs', device_id: 'D1', created_ts: now, expires_ts: now + 1 }, 'r1'),
        tokens.findAccessTokenSql('a1'),
      )
      .commitReading<Record<string, unknown>>(db);
    const rt = (await tokens.findRefreshToken(db, 'r1'))!.id;
    await run(tokens.insertAccessTokenSql({ token_hash: 'a2', user_id: '@a:hs', device_id: 'D2', created_ts: now, expires_ts: null }, null));
    const found = await tokens.findAccessToken(db, 'a1');
    const readBack = issued.map((r) => tokens.accessTokenLookupOf(r));
    await run(tokens.insertAccessTokenSql({ token_hash: 'a3', user_id: '@a:hs', device_id: 'D2', created_ts: now, expires_ts: null }, null), ...tokens.deleteTokensOfDeviceSql('@a:hs', 'D2'));
    const d2Tokens = await db('users_access_tokens').where({ device_id: 'D2' }).pluck('token_hash');
    await run(tokens.insertAccessTokenSql({ token_hash: 'a2', user_id: '@a:hs', device_id: 'D2', created_ts: now, expires_ts: null }, null));
    const gone = await tokens.deleteTokensOfDevices(db, '@a:hs', { allExcept: 'D2' });

    return {
      created: created.map((r) => { const a = accounts.toRow(r); return [a.user_id, a.is_admin, a.created_ts]; }),
      dup,
      deviceDup,
      kept,
      admins,
      bossLeft: bossLeft ?? null,
      readBack: readBack.map((r) => [r.token_hash, r.user_id, r.device_id, r.expires_ts, r.refresh_token_id === rt, r.used, r.is_admin, r.deactivated, r.locked]),
      d2Tokens,
      listed: listed.rows.map((r) => [r.user_id, r.displayname, r.last_seen_ts, r.created_ts]),
      total: listed.total,
      byName: byName.rows.map((r) => r.user_id),
      positions: p1 < p2 && p2 < p3,
      since: since.map((c) => [c.roomId, c.type, c.content]),
      claims,
      completed: completed && [completed.pending, completed.completed],
      validList: validList.map((x) => x.token),
      invalidList: invalidList.map((x) => x.token),
      challenge: (challenge as Record<string, unknown>).completed,
      pending: [pendingBefore, pendingAfter],
      found: found && [found.user_id, found.refresh_token_id === rt, found.used, found.is_admin],
      gone,
    };
  } finally {
    await close();
    await tdb.drop();
  }
}

const expected = {
  created: [['@a:hs', false, 1_700_000_000_001]],
  dup: true,
  deviceDup: true,
  kept: 'phone',
  admins: [true, false],
  bossLeft: null,
  readBack: [['a1', '@a:hs', 'D1', 1_700_000_000_001, true, false, false, false, false]],
  d2Tokens: [],
  listed: [
    ['@a:hs', null, 1_700_000_000_009, 1_700_000_000_001],
    ['@b:hs', 'Zed 100%', null, 1_700_000_000_000],
  ],
  total: 2,
  byName: ['@b:hs'],
  positions: true,
  since: [
    ['!r:hs', 'm.tag', { tags: {} }],
    [null, 'm.direct', null],
  ],
  claims: [true, false],
  completed: [0, 1],
  validList: [],
  invalidList: ['tok'],
  challenge: ['m.login.registration_token'],
  pending: [1, 0],
  found: ['@a:hs', true, false, false],
  gone: ['a1'],
};

test('storage on PGlite', async (t) => {
  t.deepEqual(await exercise('pglite'), expected);
});

test('storage on PostgreSQL', async (t) => {
  if (!(await postgresServerUrl())) {
    t.pass('PostgreSQL not reachable; PGlite covers the queries');
    return;
  }
  t.deepEqual(await exercise('postgres'), expected);
});
