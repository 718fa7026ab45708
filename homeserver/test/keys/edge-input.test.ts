import test from 'ava';
import { C, enc, makeDevice, randomKey, registerUser, startKeysServer, txn, upload } from './helpers.js';

const NUL = '\u0000';

test('odd input to every keys endpoint is answered, a refusal with a Matrix error, never a 500', async (t) => {
  const s = await startKeysServer(t);
  const alice = await registerUser(s, 'alice');
  const dev = makeDevice(alice);
  await upload(alice, { device_keys: dev.keys });
  const version = (await alice.call('POST', `${C}/room_keys/version`, { algorithm: 'm.megolm_backup.v1.curve25519-aes-sha2', auth_data: { public_key: randomKey() } })).body.version;
  const room = '!r:hs.test';

  const junk: unknown[] = ['null', '[]', '"text"', '12', '{"a":1e400}', { x: NUL }, { [NUL]: {} }, JSON.parse('{"__proto__":{"a":1}}')];
  const endpoints: Array<[string, string]> = [
    ['POST', `${C}/keys/upload`],
    ['POST', `${C}/keys/query`],
    ['POST', `${C}/keys/claim`],
    ['POST', `${C}/keys/device_signing/upload`],
    ['POST', `${C}/keys/signatures/upload`],
    ['PUT', `${C}/sendToDevice/m.test/${txn()}`],
    ['POST', `${C}/room_keys/version`],
    ['PUT', `${C}/room_keys/version/${version}`],
    ['PUT', `${C}/room_keys/keys?version=${version}`],
    ['PUT', `${C}/room_keys/keys/${enc(room)}?version=${version}`],
    ['PUT', `${C}/room_keys/keys/${enc(room)}/s?version=${version}`],
  ];
  for (const [method, path] of endpoints) {
    for (const body of junk) {
      const res = await alice.call(method, path, body);
      t.true(res.status < 500, `${method} ${path} ${JSON.stringify(body)} → ${res.status}`);
      if (res.status >= 400) t.is(typeof res.body?.errcode, 'string', `${method} ${path}`);
    }
  }

  const cases: Array<[string, Promise<{ status: number; body: any }>, number]> = [
    ['device key value with NUL', upload(alice, { device_keys: { ...dev.keys, keys: { ...dev.keys.keys, [`curve25519:${alice.deviceId}`]: NUL } } }), 400],
    ['huge numbers in a signed key', upload(alice, { one_time_keys: { 'signed_curve25519:n': { key: 'k', n: 2 ** 60, signatures: { [alice.userId]: { [`ed25519:${alice.deviceId}`]: randomKey() } } } } }), 400],
    ['NUL in a claim algorithm', alice.call('POST', `${C}/keys/claim`, { one_time_keys: { [alice.userId]: { D: `x${NUL}` } } }), 400],
    ['NUL in a query device ID', alice.call('POST', `${C}/keys/query`, { device_keys: { [alice.userId]: [NUL] } }), 400],
    ['changes: positions beyond bigint', alice.call('GET', `${C}/keys/changes?from=s1&to=s99999999999999999`), 400],
    ['changes: huge but valid positions', alice.call('GET', `${C}/keys/changes?from=s999999999999999&to=s999999999999999`), 200],
    ['backup: NUL in room ID', alice.call('PUT', `${C}/room_keys/keys/${enc(`!a${NUL}:hs.test`)}/s?version=${version}`, {}), 400],
    ['backup: NUL in session ID', alice.call('GET', `${C}/room_keys/keys/${enc(room)}/${enc(`s${NUL}`)}?version=${version}`), 400],
    ['backup: version beyond bigint', alice.call('GET', `${C}/room_keys/version/99999999999999999999`), 404],
    ['backup: index beyond safe integers', alice.call('PUT', `${C}/room_keys/keys/${enc(room)}/s?version=${version}`, { first_message_index: 1e20, forwarded_count: 0, is_verified: false, session_data: { ephemeral: 'e', ciphertext: 'c', mac: 'm' } }), 400],
    ['backup: NUL inside session_data is fine', alice.call('PUT', `${C}/room_keys/keys/${enc(room)}/s?version=${version}`, { first_message_index: 0, forwarded_count: 0, is_verified: false, session_data: { ephemeral: NUL, ciphertext: 'c', mac: 'm' } }), 200],
    ['to-device: NUL inside content is fine', alice.call('PUT', `${C}/sendToDevice/m.test/${txn()}`, { messages: { [alice.userId]: { '*': { x: NUL } } } }), 200],
    ['to-device: event type too long', alice.call('PUT', `${C}/sendToDevice/${'t'.repeat(300)}/${txn()}`, { messages: {} }), 400],
    ['dehydrated devices are not offered', alice.call('GET', '/_matrix/client/unstable/org.matrix.msc3814.v1/dehydrated_device'), 404],
  ];
  for (const [name, pending, status] of cases) {
    const res = await pending;
    t.is(res.status, status, `${name}: ${JSON.stringify(res.body)}`);
  }
  const dehydrated = await alice.call('GET', '/_matrix/client/unstable/org.matrix.msc3814.v1/dehydrated_device');
  t.is(dehydrated.body.errcode, 'M_UNRECOGNIZED');
});
