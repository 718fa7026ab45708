import test from 'ava';
import { C, createUser, enc, startUsersServer } from './helpers.js';

const ROOM = '!abcdef:hs.test';

test('global and room account data: put, get, overwrite, 404 before', async (t) => {
  const s = await startUsersServer(t);
  const alice = await createUser(s, 'alice');
  const g = `${C}/user/${enc(alice.userId)}/account_data`;
  const r = `${C}/user/${enc(alice.userId)}/rooms/${enc(ROOM)}/account_data`;

  const before = await s.as(alice.accessToken, 'GET', `${g}/org.example.settings`);
  t.is(before.status, 404);
  t.is(before.body.errcode, 'M_NOT_FOUND');
  t.deepEqual((await s.as(alice.accessToken, 'PUT', `${g}/org.example.settings`, { theme: 'dark' })).body, {});
  await s.as(alice.accessToken, 'PUT', `${g}/org.example.settings`, { theme: 'light', size: 2 });
  t.deepEqual((await s.as(alice.accessToken, 'GET', `${g}/org.example.settings`)).body, { theme: 'light', size: 2 });

  t.is((await s.as(alice.accessToken, 'GET', `${r}/org.example.settings`)).status, 404, 'room data is separate');
  await s.as(alice.accessToken, 'PUT', `${r}/org.example.settings`, { muted: true });
  t.deepEqual((await s.as(alice.accessToken, 'GET', `${r}/org.example.settings`)).body, { muted: true });
  t.deepEqual((await s.as(alice.accessToken, 'GET', `${g}/org.example.settings`)).body, { theme: 'light', size: 2 });
});

test('secret storage and cross-signing items of up to 64 KiB just work', async (t) => {
  const s = await startUsersServer(t);
  const alice = await createUser(s, 'alice');
  const g = `${C}/user/${enc(alice.userId)}/account_data`;
  const big = { encrypted: { keyid: { iv: 'a', ciphertext: 'c'.repeat(60 * 1024), mac: 'm' } } };
  for (const type of ['m.secret_storage.default_key', 'm.secret_storage.key.abc', 'm.cross_signing.master', 'm.megolm_backup.v1', 'm.direct']) {
    t.is((await s.as(alice.accessToken, 'PUT', `${g}/${type}`, big)).status, 200, type);
    t.deepEqual((await s.as(alice.accessToken, 'GET', `${g}/${type}`)).body, big, type);
  }
});

test('account data errors: other users 403, server-managed types 405, bad room 400, bad body 400', async (t) => {
  const s = await startUsersServer(t);
  const alice = await createUser(s, 'alice');
  const bob = await createUser(s, 'bob');
  const g = `${C}/user/${enc(alice.userId)}/account_data`;
  const r = `${C}/user/${enc(alice.userId)}/rooms/${enc(ROOM)}/account_data`;
  await s.as(alice.accessToken, 'PUT', `${g}/org.example.x`, { a: 1 });

  for (const [method, path] of [['GET', `${g}/org.example.x`], ['PUT', `${g}/org.example.x`], ['GET', `${r}/org.example.x`], ['PUT', `${r}/org.example.x`]] as const) {
    const res = await s.as(bob.accessToken, method, path, method === 'PUT' ? { a: 2 } : undefined);
    t.is(res.status, 403, `${method} ${path}`);
    t.is(res.body.errcode, 'M_FORBIDDEN');
  }
  t.deepEqual((await s.as(alice.accessToken, 'GET', `${g}/org.example.x`)).body, { a: 1 });

  for (const path of [`${g}/m.fully_read`, `${g}/m.push_rules`, `${r}/m.fully_read`]) {
    const res = await s.as(alice.accessToken, 'PUT', path, { event_id: '$x' });
    t.is(res.status, 405, path);
    t.is(res.body.errcode, 'M_BAD_JSON');
  }
  const badRoom = await s.as(alice.accessToken, 'PUT', `${C}/user/${enc(alice.userId)}/rooms/not-a-room/account_data/org.example.x`, {});
  t.is(badRoom.status, 400);
  t.is(badRoom.body.errcode, 'M_INVALID_PARAM');
  t.is((await s.as(alice.accessToken, 'PUT', `${g}/org.example.x`, '[1,2]')).body.errcode, 'M_BAD_JSON');
  t.is((await s.as(alice.accessToken, 'PUT', `${g}/org.example.x`, 'nope')).body.errcode, 'M_NOT_JSON');
  t.is((await s.request('GET', `${g}/org.example.x`)).body.errcode, 'M_MISSING_TOKEN');
  t.is((await s.as('hat_forged', 'GET', `${g}/org.example.x`)).body.errcode, 'M_UNKNOWN_TOKEN');
});

test('room tags: add, list, update, remove; stored as m.tag room account data', async (t) => {
  const s = await startUsersServer(t);
  const alice = await createUser(s, 'alice');
  const bob = await createUser(s, 'bob');
  const tags = `${C}/user/${enc(alice.userId)}/rooms/${enc(ROOM)}/tags`;
  t.deepEqual((await s.as(alice.accessToken, 'GET', tags)).body, { tags: {} });
  t.deepEqual((await s.as(alice.accessToken, 'PUT', `${tags}/m.favourite`, { order: 0.25 })).body, {});
  await s.as(alice.accessToken, 'PUT', `${tags}/u.work`, {});
  await s.as(alice.accessToken, 'PUT', `${tags}/m.favourite`, { order: 0.5 });
  t.deepEqual((await s.as(alice.accessToken, 'GET', tags)).body, { tags: { 'm.favourite': { order: 0.5 }, 'u.work': {} } });
  const asAccountData = await s.as(alice.accessToken, 'GET', `${C}/user/${enc(alice.userId)}/rooms/${enc(ROOM)}/account_data/m.tag`);
  t.deepEqual(asAccountData.body, { tags: { 'm.favourite': { order: 0.5 }, 'u.work': {} } });

  t.deepEqual((await s.as(alice.accessToken, 'DELETE', `${tags}/u.work`)).body, {});
  t.deepEqual((await s.as(alice.accessToken, 'GET', tags)).body, { tags: { 'm.favourite': { order: 0.5 } } });

  t.is((await s.as(alice.accessToken, 'PUT', `${tags}/u.x`, { order: 'first' })).body.errcode, 'M_BAD_JSON');
  t.is((await s.as(bob.accessToken, 'GET', tags)).status, 403);
  t.is((await s.as(bob.accessToken, 'PUT', `${tags}/u.x`, {})).status, 403);
  t.is((await s.as(bob.accessToken, 'DELETE', `${tags}/m.favourite`)).status, 403);
  t.is((await s.as(alice.accessToken, 'GET', `${C}/user/${enc(alice.userId)}/rooms/bad/tags`)).status, 400);
});
