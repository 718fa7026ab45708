import test from 'ava';
import { generateSigningKey } from '../../src/core/signing.js';
import { C, login, makeDevice, oneTimeKeys, randomKey, registerUser, sign, startKeysServer, sync, upload } from './helpers.js';

test('device keys: signed by the device itself, for the requester only, and never replaced by other keys', async (t) => {
  const s = await startKeysServer(t);
  const alice = await registerUser(s, 'alice');
  const dev = makeDevice(alice);

  const forged = sign({ ...dev.keys, signatures: {} }, alice.userId, `ed25519:${alice.deviceId}`, generateSigningKey());
  const bad = await upload(alice, { device_keys: forged });
  t.is(bad.status, 400);
  t.is(bad.body.errcode, 'M_INVALID_SIGNATURE');

  const unsignedKeys = await upload(alice, { device_keys: { ...dev.keys, signatures: {} } });
  t.is(unsignedKeys.body.errcode, 'M_INVALID_SIGNATURE');

  const other = makeDevice({ userId: alice.userId, deviceId: 'SOMEOTHER' });
  const wrongDevice = await upload(alice, { device_keys: other.keys });
  t.is(wrongDevice.status, 400);
  t.is(wrongDevice.body.errcode, 'M_INVALID_PARAM');

  const ok = await upload(alice, { device_keys: dev.keys });
  t.is(ok.status, 200);
  t.deepEqual(ok.body.one_time_key_counts, { signed_curve25519: 0 });
  t.is((await upload(alice, { device_keys: dev.keys })).status, 200, 'the same keys again are fine');

  const replaced = makeDevice(alice);
  const refused = await upload(alice, { device_keys: replaced.keys });
  t.is(refused.status, 400);
  t.is(refused.body.errcode, 'M_INVALID_PARAM');

  const q = await alice.call('POST', `${C}/keys/query`, { device_keys: { [alice.userId]: [] } });
  t.is(q.body.device_keys[alice.userId][alice.deviceId].keys[`ed25519:${alice.deviceId}`], dev.ed.publicKey);
});

test('one-time keys: signatures checked, counts answered, a key ID cannot change content', async (t) => {
  const s = await startKeysServer(t);
  const alice = await registerUser(s, 'alice');
  const dev = makeDevice(alice);

  const early = await upload(alice, { one_time_keys: oneTimeKeys(dev, 1) });
  t.is(early.body.errcode, 'M_INVALID_SIGNATURE', 'signed keys need the device keys to check them');

  const first = await upload(alice, { device_keys: dev.keys, one_time_keys: oneTimeKeys(dev, 5, 'a') });
  t.deepEqual(first.body.one_time_key_counts, { signed_curve25519: 5 });

  const forged = { 'signed_curve25519:x': sign({ key: randomKey() }, alice.userId, `ed25519:${alice.deviceId}`, generateSigningKey()) };
  const bad = await upload(alice, { one_time_keys: forged });
  t.is(bad.status, 400);
  t.is(bad.body.errcode, 'M_INVALID_SIGNATURE');

  const again = oneTimeKeys(dev, 1, 'a');
  const clash = await upload(alice, { one_time_keys: again });
  t.is(clash.status, 400, 'a0 exists with another key');
  t.is(clash.body.errcode, 'M_INVALID_PARAM');

  const plain = await upload(alice, { one_time_keys: { 'curve25519:p1': randomKey() } });
  t.deepEqual(plain.body.one_time_key_counts, { signed_curve25519: 5, curve25519: 1 });

  const badName = await upload(alice, { one_time_keys: { nocolon: randomKey() } });
  t.is(badName.body.errcode, 'M_INVALID_PARAM');
  const nul = await upload(alice, { one_time_keys: { 'curve25519:a\u0000b': randomKey() } });
  t.is(nul.status, 400);
  const notObject = await upload(alice, { one_time_keys: [] });
  t.is(notObject.body.errcode, 'M_BAD_JSON');

  const body = await sync(alice);
  t.deepEqual(body.device_one_time_keys_count, { signed_curve25519: 5, curve25519: 1 });
  t.deepEqual(body.device_unused_fallback_key_types, []);
});

test('the same one-time keys uploaded again (a retried request) are accepted once', async (t) => {
  const s = await startKeysServer(t);
  const alice = await registerUser(s, 'alice');
  const dev = makeDevice(alice);
  const keys = oneTimeKeys(dev, 3);
  t.deepEqual((await upload(alice, { device_keys: dev.keys, one_time_keys: keys })).body.one_time_key_counts, { signed_curve25519: 3 });
  t.deepEqual((await upload(alice, { one_time_keys: keys })).body.one_time_key_counts, { signed_curve25519: 3 });
});

test('claim: one-time keys oldest first, each once; then the fallback key, marked used; more than exist gives what exists', async (t) => {
  const s = await startKeysServer(t);
  const alice = await registerUser(s, 'alice');
  const bob = await registerUser(s, 'bob');
  const dev = makeDevice(alice);
  await upload(alice, { device_keys: dev.keys, one_time_keys: oneTimeKeys(dev, 2, 'first') });
  await upload(alice, { one_time_keys: oneTimeKeys(dev, 1, 'second') });
  const fallback = { 'signed_curve25519:fb1': sign({ key: randomKey(), fallback: true }, alice.userId, `ed25519:${alice.deviceId}`, dev.ed) };
  await upload(alice, { fallback_keys: fallback });
  t.deepEqual((await sync(alice)).device_unused_fallback_key_types, ['signed_curve25519']);

  const claim = () => bob.call('POST', `${C}/keys/claim`, { one_time_keys: { [alice.userId]: { [alice.deviceId]: 'signed_curve25519' } } });
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) {
    const res = await claim();
    t.is(res.status, 200);
    ids.push(...Object.keys(res.body.one_time_keys[alice.userId][alice.deviceId]));
  }
  t.is(new Set(ids).size, 3);
  t.deepEqual(ids.slice(2), ['signed_curve25519:second0'], 'keys of a later upload come after earlier ones');
  t.true(ids.slice(0, 2).every((id) => id.startsWith('signed_curve25519:first')));

  const fb = await claim();
  t.deepEqual(fb.body.one_time_keys[alice.userId][alice.deviceId], fallback);
  t.deepEqual(fb.body.failures, {});
  const fbAgain = await claim();
  t.deepEqual(fbAgain.body.one_time_keys[alice.userId][alice.deviceId], fallback, 'the fallback key stays');
  const after = await sync(alice);
  t.deepEqual(after.device_unused_fallback_key_types, []);
  t.deepEqual(after.device_one_time_keys_count, { signed_curve25519: 0 });

  // The same fallback key again keeps its used flag; a new one is fresh.
  await upload(alice, { fallback_keys: fallback });
  t.deepEqual((await sync(alice)).device_unused_fallback_key_types, []);
  const next = { 'signed_curve25519:fb2': sign({ key: randomKey(), fallback: true }, alice.userId, `ed25519:${alice.deviceId}`, dev.ed) };
  await upload(alice, { fallback_keys: next });
  t.deepEqual((await sync(alice)).device_unused_fallback_key_types, ['signed_curve25519']);
  t.deepEqual((await claim()).body.one_time_keys[alice.userId][alice.deviceId], next);

  const twoFallbacks = await upload(alice, { fallback_keys: { ...next, 'signed_curve25519:fb3': next['signed_curve25519:fb2'] } });
  t.is(twoFallbacks.status, 400, 'one fallback key per algorithm');

  // Devices and users with nothing to give are simply missing.
  const none = await bob.call('POST', `${C}/keys/claim`, {
    one_time_keys: { [alice.userId]: { NOSUCHDEVICE: 'signed_curve25519' }, [bob.userId]: { [bob.deviceId]: 'signed_curve25519' } },
  });
  t.deepEqual(none.body.one_time_keys, {});
});

test('claims running at once never hand out one key twice', async (t) => {
  const s = await startKeysServer(t);
  const alice = await registerUser(s, 'alice');
  const bob = await registerUser(s, 'bob');
  const dev = makeDevice(alice);
  await upload(alice, { device_keys: dev.keys, one_time_keys: oneTimeKeys(dev, 10) });
  const results = await Promise.all(
    Array.from({ length: 15 }, () => bob.call('POST', `${C}/keys/claim`, { one_time_keys: { [alice.userId]: { [alice.deviceId]: 'signed_curve25519' } } })),
  );
  const ids = results.flatMap((r) => Object.keys(r.body.one_time_keys[alice.userId]?.[alice.deviceId] ?? {}));
  t.is(ids.length, 10);
  t.is(new Set(ids).size, 10);
});

test('query: display names, device filters, users without keys, and remote servers in failures', async (t) => {
  const s = await startKeysServer(t);
  const alice = await registerUser(s, 'alice');
  const bob = await registerUser(s, 'bob');
  const phone = await login(s, alice);
  await alice.call('PUT', `${C}/devices/${alice.deviceId}`, { display_name: 'Laptop' });
  const dev1 = makeDevice(alice);
  const dev2 = makeDevice(phone);
  await upload(alice, { device_keys: dev1.keys });
  await upload(phone, { device_keys: dev2.keys });

  const all = await bob.call('POST', `${C}/keys/query`, { device_keys: { [alice.userId]: [], [bob.userId]: [], '@carol:elsewhere.example': [] } });
  t.is(all.status, 200);
  const devices = all.body.device_keys[alice.userId];
  t.deepEqual(Object.keys(devices).sort(), [alice.deviceId, phone.deviceId].sort());
  t.deepEqual(devices[alice.deviceId].unsigned, { device_display_name: 'Laptop' });
  t.deepEqual(devices[alice.deviceId].signatures, dev1.keys.signatures);
  t.deepEqual(all.body.device_keys[bob.userId], {});
  t.deepEqual(Object.keys(all.body.failures), ['elsewhere.example']);
  t.is(all.body.failures['elsewhere.example'].status, 503);

  const one = await bob.call('POST', `${C}/keys/query`, { device_keys: { [alice.userId]: [phone.deviceId] } });
  t.deepEqual(Object.keys(one.body.device_keys[alice.userId]), [phone.deviceId]);

  // Logging the device out takes its keys with it.
  await phone.call('POST', `${C}/logout`, {});
  const after = await bob.call('POST', `${C}/keys/query`, { device_keys: { [alice.userId]: [] } });
  t.deepEqual(Object.keys(after.body.device_keys[alice.userId]), [alice.deviceId]);

  const remoteClaim = await bob.call('POST', `${C}/keys/claim`, { one_time_keys: { '@carol:elsewhere.example': { D: 'signed_curve25519' } } });
  t.deepEqual(remoteClaim.body.one_time_keys, {});
  t.deepEqual(Object.keys(remoteClaim.body.failures), ['elsewhere.example']);

  for (const body of [{}, { device_keys: [] }, { device_keys: { 'not-a-user': [] } }, { device_keys: { [alice.userId]: 'x' } }, { device_keys: {}, timeout: -1 }]) {
    const res = await bob.call('POST', `${C}/keys/query`, body);
    t.is(res.status, 400, JSON.stringify(body));
    t.is(res.body.errcode, 'M_BAD_JSON');
  }
  t.is((await bob.call('POST', `${C}/keys/query`, 'not json')).body.errcode, 'M_NOT_JSON');
  t.is((await s.request('POST', `${C}/keys/query`, { device_keys: {} })).status, 401);
});
