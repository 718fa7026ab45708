import test from 'ava';
import { C, enc, randomKey, registerUser, startKeysServer, type TestUser } from './helpers.js';

const ALG = 'm.megolm_backup.v1.curve25519-aes-sha2';
const ROOM = '!room:hs.test';
const authData = () => ({ public_key: randomKey(), signatures: {} });
const key = (o: { fmi?: number; fc?: number; verified?: boolean; tag?: string } = {}) => ({
  first_message_index: o.fmi ?? 0,
  forwarded_count: o.fc ?? 0,
  is_verified: o.verified ?? false,
  session_data: { ephemeral: 'e', ciphertext: o.tag ?? 'c', mac: 'm' },
});

async function newVersion(user: TestUser): Promise<string> {
  const res = await user.call('POST', `${C}/room_keys/version`, { algorithm: ALG, auth_data: authData() });
  if (res.status !== 200) throw new Error(JSON.stringify(res.body));
  return res.body.version;
}

const putSession = (user: TestUser, version: string, session: string, body: unknown) => user.call('PUT', `${C}/room_keys/keys/${enc(ROOM)}/${session}?version=${version}`, body);
const getSession = async (user: TestUser, version: string, session: string) => (await user.call('GET', `${C}/room_keys/keys/${enc(ROOM)}/${session}?version=${version}`)).body;

test('backup versions: create, read, update auth_data, delete; versions never come back', async (t) => {
  const s = await startKeysServer(t);
  const alice = await registerUser(s, 'alice');
  const bob = await registerUser(s, 'bob');
  const none = await alice.call('GET', `${C}/room_keys/version`);
  t.is(none.status, 404);
  t.is(none.body.errcode, 'M_NOT_FOUND');

  const ad = authData();
  const v1 = (await alice.call('POST', `${C}/room_keys/version`, { algorithm: ALG, auth_data: ad })).body.version;
  t.is(typeof v1, 'string');
  t.deepEqual((await alice.call('GET', `${C}/room_keys/version`)).body, { algorithm: ALG, auth_data: ad, count: 0, etag: '0', version: v1 });
  t.is((await bob.call('GET', `${C}/room_keys/version/${v1}`)).status, 404, 'backups are per user');

  const ad2 = { ...authData(), extra: 'kept' };
  t.is((await alice.call('PUT', `${C}/room_keys/version/${v1}`, { algorithm: ALG, auth_data: ad2, version: v1 })).status, 200);
  t.deepEqual((await alice.call('GET', `${C}/room_keys/version/${v1}`)).body.auth_data, ad2);
  const mismatch = await alice.call('PUT', `${C}/room_keys/version/${v1}`, { algorithm: ALG, auth_data: ad2, version: '999' });
  t.is(mismatch.status, 400);
  t.is(mismatch.body.errcode, 'M_INVALID_PARAM');
  const otherAlg = await alice.call('PUT', `${C}/room_keys/version/${v1}`, { algorithm: 'org.example.other', auth_data: ad2 });
  t.is(otherAlg.body.errcode, 'M_INVALID_PARAM');
  t.is((await alice.call('PUT', `${C}/room_keys/version/999`, { algorithm: ALG, auth_data: ad2 })).status, 404);

  const v2 = await newVersion(alice);
  t.not(v2, v1);
  t.is((await alice.call('GET', `${C}/room_keys/version`)).body.version, v2);
  t.is((await alice.call('DELETE', `${C}/room_keys/version/${v2}`)).status, 200);
  t.is((await alice.call('DELETE', `${C}/room_keys/version/${v2}`)).status, 200, 'deleting again succeeds');
  t.is((await alice.call('GET', `${C}/room_keys/version/${v2}`)).status, 404);
  t.is((await alice.call('GET', `${C}/room_keys/version`)).body.version, v1, 'the older version is current again');
  t.is((await alice.call('DELETE', `${C}/room_keys/version/12345`)).status, 404);
  t.is((await alice.call('DELETE', `${C}/room_keys/version/nonsense`)).status, 404);
  const v3 = await newVersion(alice);
  t.true(Number(v3) > Number(v2), 'a deleted version number is not reused');
});

test('backup auth_data is checked for the algorithm; unknown algorithms are refused', async (t) => {
  const s = await startKeysServer(t);
  const alice = await registerUser(s, 'alice');
  for (const body of [
    { algorithm: ALG, auth_data: {} },
    { algorithm: ALG, auth_data: { public_key: 'too-short' } },
    { algorithm: ALG, auth_data: { public_key: randomKey(), signatures: 'x' } },
    { algorithm: ALG },
    { auth_data: authData() },
  ]) {
    const res = await alice.call('POST', `${C}/room_keys/version`, body);
    t.is(res.status, 400, JSON.stringify(body));
    t.is(res.body.errcode, 'M_BAD_JSON');
  }
  const unknown = await alice.call('POST', `${C}/room_keys/version`, { algorithm: 'org.example.unknown', auth_data: authData() });
  t.is(unknown.status, 400);
  t.is(unknown.body.errcode, 'M_INVALID_PARAM');
});

test('keys go to the current version only: M_WRONG_ROOM_KEYS_VERSION names it', async (t) => {
  const s = await startKeysServer(t);
  const alice = await registerUser(s, 'alice');
  const missing = await putSession(alice, '1', 's1', key());
  t.is(missing.status, 404);
  const v1 = await newVersion(alice);
  const v2 = await newVersion(alice);
  const wrong = await putSession(alice, v1, 's1', key());
  t.is(wrong.status, 403);
  t.is(wrong.body.errcode, 'M_WRONG_ROOM_KEYS_VERSION');
  t.is(wrong.body.current_version, v2);
  const bogus = await putSession(alice, 'abc', 's1', key());
  t.is(bogus.body.errcode, 'M_WRONG_ROOM_KEYS_VERSION');
  t.is((await alice.call('PUT', `${C}/room_keys/keys/${enc(ROOM)}/s1`, key())).body.errcode, 'M_MISSING_PARAM');
  t.is((await putSession(alice, v2, 's1', { ...key(), session_data: 'x' })).body.errcode, 'M_BAD_JSON');
  t.is((await putSession(alice, v2, 's1', { ...key(), first_message_index: -1 })).body.errcode, 'M_BAD_JSON');
  t.is((await alice.call('PUT', `${C}/room_keys/keys/notaroom/s1?version=${v2}`, key())).body.errcode, 'M_INVALID_PARAM');
  // Reading an older, live version is allowed.
  t.deepEqual((await alice.call('GET', `${C}/room_keys/keys?version=${v1}`)).body, { rooms: {} });
});

test('a stored key is replaced only by a better one: verified, then lower first_message_index, then lower forwarded_count', async (t) => {
  const s = await startKeysServer(t);
  const alice = await registerUser(s, 'alice');
  const v = await newVersion(alice);

  let res = await putSession(alice, v, 's', key({ fmi: 5, fc: 3, verified: false, tag: 'a' }));
  t.deepEqual(res.body, { etag: '1', count: 1 });

  // Both unverified: the lower first_message_index wins, whatever the forwarded_count.
  res = await putSession(alice, v, 's', key({ fmi: 4, fc: 9, verified: false, tag: 'lower-index' }));
  t.is((await getSession(alice, v, 's')).session_data.ciphertext, 'lower-index');
  t.deepEqual(res.body, { etag: '2', count: 1 });

  // Verified beats unverified, whatever the index.
  await putSession(alice, v, 's', key({ fmi: 100, fc: 100, verified: true, tag: 'verified' }));
  t.is((await getSession(alice, v, 's')).session_data.ciphertext, 'verified');
  // Unverified never beats verified.
  res = await putSession(alice, v, 's', key({ fmi: 0, fc: 0, verified: false, tag: 'unverified' }));
  t.is((await getSession(alice, v, 's')).session_data.ciphertext, 'verified');
  t.deepEqual(res.body, { etag: '3', count: 1 }, 'no change, no new etag');

  // Same verification: lower first_message_index wins, a higher one loses.
  await putSession(alice, v, 's', key({ fmi: 50, fc: 100, verified: true, tag: 'fmi50' }));
  t.is((await getSession(alice, v, 's')).session_data.ciphertext, 'fmi50');
  await putSession(alice, v, 's', key({ fmi: 60, fc: 0, verified: true, tag: 'fmi60' }));
  t.is((await getSession(alice, v, 's')).session_data.ciphertext, 'fmi50');

  // Same verification and index: lower forwarded_count wins; equal keeps what is there.
  await putSession(alice, v, 's', key({ fmi: 50, fc: 99, verified: true, tag: 'fc99' }));
  t.is((await getSession(alice, v, 's')).session_data.ciphertext, 'fc99');
  await putSession(alice, v, 's', key({ fmi: 50, fc: 99, verified: true, tag: 'same' }));
  await putSession(alice, v, 's', key({ fmi: 50, fc: 100, verified: true, tag: 'fc100' }));
  const final = await getSession(alice, v, 's');
  t.is(final.session_data.ciphertext, 'fc99');
  t.deepEqual(final, key({ fmi: 50, fc: 99, verified: true, tag: 'fc99' }));
});

test('keys by room and session: bulk upload, read, etag and count, delete', async (t) => {
  const s = await startKeysServer(t);
  const alice = await registerUser(s, 'alice');
  const v = await newVersion(alice);
  const other = '!other:hs.test';
  const bulk = await alice.call('PUT', `${C}/room_keys/keys?version=${v}`, {
    rooms: { [ROOM]: { sessions: { a: key({ tag: 'a' }), b: key({ tag: 'b' }) } }, [other]: { sessions: { c: key({ tag: 'c' }) } } },
  });
  t.deepEqual(bulk.body, { etag: '1', count: 3 });
  const roomPut = await alice.call('PUT', `${C}/room_keys/keys/${enc(other)}?version=${v}`, { sessions: { d: key({ tag: 'd' }) } });
  t.deepEqual(roomPut.body, { etag: '2', count: 4 });
  const info = (await alice.call('GET', `${C}/room_keys/version/${v}`)).body;
  t.is(info.count, 4);
  t.is(info.etag, '2');

  const all = (await alice.call('GET', `${C}/room_keys/keys?version=${v}`)).body;
  t.deepEqual(Object.keys(all.rooms).sort(), [ROOM, other].sort());
  t.deepEqual(Object.keys(all.rooms[other].sessions).sort(), ['c', 'd']);
  t.deepEqual((await alice.call('GET', `${C}/room_keys/keys/${enc(ROOM)}?version=${v}`)).body.sessions.a, key({ tag: 'a' }));
  t.deepEqual((await alice.call('GET', `${C}/room_keys/keys/${enc('!empty:hs.test')}?version=${v}`)).body, { sessions: {} });
  const nokey = await alice.call('GET', `${C}/room_keys/keys/${enc(ROOM)}/zzz?version=${v}`);
  t.is(nokey.status, 404);
  t.is(nokey.body.errcode, 'M_NOT_FOUND');
  t.is((await alice.call('GET', `${C}/room_keys/keys?version=77`)).status, 404);

  t.deepEqual((await alice.call('DELETE', `${C}/room_keys/keys/${enc(ROOM)}/a?version=${v}`)).body, { etag: '3', count: 3 });
  t.deepEqual((await alice.call('DELETE', `${C}/room_keys/keys/${enc(other)}?version=${v}`)).body, { etag: '4', count: 1 });
  t.deepEqual((await alice.call('DELETE', `${C}/room_keys/keys?version=${v}`)).body, { etag: '5', count: 0 });
  t.deepEqual((await alice.call('GET', `${C}/room_keys/keys?version=${v}`)).body, { rooms: {} });
  t.is((await alice.call('DELETE', `${C}/room_keys/keys?version=77`)).status, 404);

  // Deleting the version takes its keys with it.
  await alice.call('PUT', `${C}/room_keys/keys/${enc(ROOM)}/x?version=${v}`, key());
  await alice.call('DELETE', `${C}/room_keys/version/${v}`);
  t.is((await alice.call('GET', `${C}/room_keys/keys?version=${v}`)).status, 404);
  const rows = await s.hs.database.db('keys_backup_sessions').count({ n: '*' });
  t.is(Number(rows[0]!.n), 0);
});
