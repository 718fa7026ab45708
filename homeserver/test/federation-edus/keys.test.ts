import net from 'node:net';
import test from 'ava';
import { generateSigningKey } from '../../src/core/signing.js';
import { makeDevice, oneTimeKeys, sign, upload } from '../keys/helpers.js';
import { C, newUser, startServers, syncUntil, type FederationNetwork, type TestUser } from './helpers.js';

let fed: FederationNetwork;
/** Accepts connections and never answers: a server that hangs. */
let silent: net.Server;
const sockets = new Set<net.Socket>();

test.before(async () => {
  fed = await startServers();
  silent = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  fed.overrides.set('silent.test', { host: '127.0.0.1', port: (silent.address() as net.AddressInfo).port });
});
test.after.always(async () => {
  for (const s of sockets) s.destroy();
  silent?.close();
  await fed?.close();
});

/** A user of hs1 with device keys, one-time keys, a fallback key and cross-signing keys. */
async function aliceWithKeys(): Promise<{ alice: TestUser; device: ReturnType<typeof makeDevice>; masterKey: string }> {
  const alice = await newUser(fed.server('hs1.test'), 'alice');
  const device = makeDevice(alice);
  const fallback = oneTimeKeys(device, 1, 'fb');
  const res = await upload(alice, { device_keys: device.keys, one_time_keys: oneTimeKeys(device, 2), fallback_keys: fallback });
  if (res.status !== 200) throw new Error(`upload: ${JSON.stringify(res.body)}`);
  const master = generateSigningKey();
  const ssk = generateSigningKey();
  const usk = generateSigningKey();
  const csKey = (usage: string, key: typeof master) => ({ user_id: alice.userId, usage: [usage], keys: { [`ed25519:${key.publicKey}`]: key.publicKey } });
  const signed = (usage: string, key: typeof master) => sign(csKey(usage, key), alice.userId, `ed25519:${master.publicKey}`, master);
  const cs = await alice.call('POST', `${C}/keys/device_signing/upload`, {
    master_key: csKey('master', master),
    self_signing_key: signed('self_signing', ssk),
    user_signing_key: signed('user_signing', usk),
  });
  if (cs.status !== 200) throw new Error(`device_signing: ${JSON.stringify(cs.body)}`);
  return { alice, device, masterKey: master.publicKey };
}

test('keys/query of a user on another server: devices and cross-signing keys, never the user-signing key', async (t) => {
  const { alice, device, masterKey } = await aliceWithKeys();
  await alice.call('PUT', `${C}/devices/${alice.deviceId}`, { display_name: 'Alice phone' });
  const bob = await newUser(fed.server('hs2.test'), 'bob');
  const res = await bob.call('POST', `${C}/keys/query`, { device_keys: { [alice.userId]: [] } });
  t.is(res.status, 200);
  t.deepEqual(res.body.failures, {});
  const got = res.body.device_keys[alice.userId][alice.deviceId];
  t.deepEqual(got.keys, device.keys.keys);
  t.deepEqual(got.signatures, device.keys.signatures);
  t.is(got.unsigned.device_display_name, 'Alice phone');
  t.deepEqual(Object.keys(res.body.master_keys[alice.userId].keys), [`ed25519:${masterKey}`]);
  t.truthy(res.body.self_signing_keys[alice.userId]);
  t.is(res.body.user_signing_keys[alice.userId], undefined);

  const filtered = await bob.call('POST', `${C}/keys/query`, { device_keys: { [alice.userId]: ['NOSUCHDEVICE'] } });
  t.deepEqual(filtered.body.device_keys[alice.userId], {});
});

test('keys/claim of a remote device: one-time keys once each, then the fallback key', async (t) => {
  const { alice } = await aliceWithKeys();
  const bob = await newUser(fed.server('hs2.test'), 'bob');
  const claim = () => bob.call('POST', `${C}/keys/claim`, { one_time_keys: { [alice.userId]: { [alice.deviceId]: 'signed_curve25519' } } });
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) {
    const res = await claim();
    t.is(res.status, 200);
    t.deepEqual(res.body.failures, {});
    const keys = res.body.one_time_keys[alice.userId][alice.deviceId];
    ids.push(...Object.keys(keys));
    for (const key of Object.values<any>(keys)) t.truthy(key.signatures[alice.userId][`ed25519:${alice.deviceId}`]);
  }
  t.deepEqual(ids.slice(0, 2).sort(), ['signed_curve25519:k0', 'signed_curve25519:k1']);
  t.is(ids[2], 'signed_curve25519:fb0', 'the fallback key once the one-time keys are gone');
});

test('keys/query and keys/claim: a server that does not answer in time is a failure, within the timeout', async (t) => {
  const { alice } = await aliceWithKeys();
  const bob = await newUser(fed.server('hs2.test'), 'bob');
  // A first request makes the two servers known to each other, so the timed one is not slowed by it.
  t.deepEqual((await bob.call('POST', `${C}/keys/query`, { device_keys: { [alice.userId]: [] } })).body.failures, {});
  const started = Date.now();
  const query = await bob.call('POST', `${C}/keys/query`, { device_keys: { [alice.userId]: [], '@x:silent.test': [], '@y:unknown-server.invalid': [] }, timeout: 2000 });
  t.is(query.status, 200);
  const took = Date.now() - started;
  t.true(took >= 1900 && took < 6000, `took ${took} ms`);
  t.deepEqual(Object.keys(query.body.failures).sort(), ['silent.test', 'unknown-server.invalid']);
  t.is(query.body.failures['silent.test'].status, 503);
  t.truthy(query.body.device_keys[alice.userId][alice.deviceId], 'servers that answer still count');
  t.is(query.body.device_keys['@x:silent.test'], undefined);

  const claim = await bob.call('POST', `${C}/keys/claim`, { one_time_keys: { '@x:silent.test': { DEV: 'signed_curve25519' } }, timeout: 1000 });
  t.is(claim.status, 200);
  t.deepEqual(Object.keys(claim.body.failures), ['silent.test']);
  t.deepEqual(claim.body.one_time_keys, {});
});

test('to-device: a message from a user of hs1 reaches the named device and `*` devices of a user of hs2 through /sync', async (t) => {
  const alice = await newUser(fed.server('hs1.test'), 'alice');
  const bob = await newUser(fed.server('hs2.test'), 'bob');
  const first = await syncUntil(bob, undefined, () => true);
  const send = (txnId: string, messages: unknown) => alice.call('PUT', `${C}/sendToDevice/m.test.ping/${txnId}`, { messages });
  t.is((await send('t1', { [bob.userId]: { [bob.deviceId]: { n: 1 } } })).status, 200);
  const got = await syncUntil(bob, first.next_batch, (b) => (b.to_device?.events ?? []).length > 0);
  t.deepEqual(got.to_device.events, [{ sender: alice.userId, type: 'm.test.ping', content: { n: 1 } }]);

  t.is((await send('t2', { [bob.userId]: { '*': { n: 2 } } })).status, 200);
  const all = await syncUntil(bob, got.next_batch, (b) => (b.to_device?.events ?? []).length > 0);
  t.deepEqual(all.to_device.events, [{ sender: alice.userId, type: 'm.test.ping', content: { n: 2 } }]);

  // The same transaction again is not sent again.
  t.is((await send('t2', { [bob.userId]: { '*': { n: 2 } } })).status, 200);
  t.is((await send('t3', { [bob.userId]: { [bob.deviceId]: { n: 3 } } })).status, 200);
  const next = await syncUntil(bob, all.next_batch, (b) => (b.to_device?.events ?? []).length > 0);
  t.deepEqual(next.to_device.events.map((e: any) => e.content.n), [3]);
});
