import test from 'ava';
import { generateSigningKey } from '../../src/core/signing.js';
import { login, makeDevice, oneTimeKeys, sign, upload } from '../keys/helpers.js';
import { C, clientApi, enc, F, federationCall, newUser, sendEdus, startServers, syncUntil, type FederationNetwork, type TestUser } from './helpers.js';

let fed: FederationNetwork;
test.before(async () => {
  fed = await startServers();
});
test.after.always(() => fed?.close());

/** hs2 asks hs1. */
const ask = (req: { method: string; path: string; body?: unknown; signed?: boolean }) => federationCall(fed, 'hs2.test', 'hs1.test', req);

async function aliceWithKeys(): Promise<TestUser> {
  const alice = await newUser(fed.server('hs1.test'), 'alice');
  const device = makeDevice(alice);
  t_ok(await upload(alice, { device_keys: device.keys, one_time_keys: oneTimeKeys(device, 1) }));
  const master = generateSigningKey();
  const key = (usage: string, k: typeof master) => ({ user_id: alice.userId, usage: [usage], keys: { [`ed25519:${k.publicKey}`]: k.publicKey } });
  t_ok(
    await alice.call('POST', `${C}/keys/device_signing/upload`, {
      master_key: key('master', master),
      self_signing_key: sign(key('self_signing', generateSigningKey()), alice.userId, `ed25519:${master.publicKey}`, master),
      user_signing_key: sign(key('user_signing', generateSigningKey()), alice.userId, `ed25519:${master.publicKey}`, master),
    }),
  );
  return alice;
}

function t_ok(res: { status: number; body: unknown }): void {
  if (res.status !== 200) throw new Error(`${res.status} ${JSON.stringify(res.body)}`);
}

test('user/devices: devices with signed keys and display names, cross-signing keys without the user-signing key', async (t) => {
  const alice = await aliceWithKeys();
  const res = await ask({ method: 'GET', path: `${F}/user/devices/${enc(alice.userId)}` });
  t.is(res.status, 200);
  t.is(res.body.user_id, alice.userId);
  t.is(typeof res.body.stream_id, 'number');
  t.is(res.body.devices.length, 1);
  const [device] = res.body.devices;
  t.is(device.device_id, alice.deviceId);
  t.is(device.keys.device_id, alice.deviceId);
  t.is(device.keys.unsigned, undefined, 'unsigned data is not part of the keys');
  t.truthy(res.body.master_key);
  t.truthy(res.body.self_signing_key);
  t.is(res.body.user_signing_key, undefined);

  // A new device with keys moves the version on.
  const second = await login(clientApi(fed.server('hs1.test')), alice);
  t_ok(await upload(second, { device_keys: makeDevice(second).keys }));
  const after = await ask({ method: 'GET', path: `${F}/user/devices/${enc(alice.userId)}` });
  t.true(after.body.stream_id > res.body.stream_id);
  t.deepEqual(after.body.devices.map((d: any) => d.device_id).sort(), [alice.deviceId, second.deviceId].sort());
});

test('user/keys/query and user/keys/claim answer for local users', async (t) => {
  const alice = await aliceWithKeys();
  const query = await ask({ method: 'POST', path: `${F}/user/keys/query`, body: { device_keys: { [alice.userId]: [], '@nobody:hs1.test': [] } } });
  t.is(query.status, 200);
  t.deepEqual(Object.keys(query.body.device_keys[alice.userId]), [alice.deviceId]);
  t.deepEqual(query.body.device_keys['@nobody:hs1.test'], {});
  t.truthy(query.body.master_keys[alice.userId]);
  t.is(query.body.user_signing_keys, undefined);

  const claim = await ask({ method: 'POST', path: `${F}/user/keys/claim`, body: { one_time_keys: { [alice.userId]: { [alice.deviceId]: 'signed_curve25519' } } } });
  t.is(claim.status, 200);
  t.deepEqual(Object.keys(claim.body.one_time_keys[alice.userId][alice.deviceId]), ['signed_curve25519:k0']);
  const again = await ask({ method: 'POST', path: `${F}/user/keys/claim`, body: { one_time_keys: { [alice.userId]: { [alice.deviceId]: 'signed_curve25519' } } } });
  t.deepEqual(again.body.one_time_keys, {}, 'each one-time key once');
});

test('the federation endpoints: 401 unsigned, 403 for other servers\' users, 404 unknown users, 400 bad input', async (t) => {
  const alice = await aliceWithKeys();
  const requests = [
    { method: 'GET', path: `${F}/user/devices/${enc(alice.userId)}` },
    { method: 'POST', path: `${F}/user/keys/query`, body: { device_keys: { [alice.userId]: [] } } },
    { method: 'POST', path: `${F}/user/keys/claim`, body: { one_time_keys: { [alice.userId]: { [alice.deviceId]: 'signed_curve25519' } } } },
    { method: 'GET', path: `${F}/query/profile?user_id=${enc(alice.userId)}` },
  ];
  for (const req of requests) {
    const res = await ask({ ...req, signed: false });
    t.is(res.status, 401, req.path);
    t.is(res.body.errcode, 'M_UNAUTHORIZED');
  }

  const foreign = [
    { method: 'GET', path: `${F}/user/devices/${enc('@bob:hs2.test')}` },
    { method: 'POST', path: `${F}/user/keys/query`, body: { device_keys: { [alice.userId]: [], '@bob:hs2.test': [] } } },
    { method: 'POST', path: `${F}/user/keys/claim`, body: { one_time_keys: { '@bob:hs2.test': { DEV: 'signed_curve25519' } } } },
  ];
  for (const req of foreign) {
    const res = await ask(req);
    t.is(res.status, 403, req.path);
    t.is(res.body.errcode, 'M_FORBIDDEN');
  }
  const unknown = await ask({ method: 'GET', path: `${F}/user/devices/${enc('@nobody:hs1.test')}` });
  t.is(unknown.status, 404);
  t.is(unknown.body.errcode, 'M_NOT_FOUND');

  const bad = [
    { method: 'GET', path: `${F}/user/devices/not-a-user-id` },
    { method: 'POST', path: `${F}/user/keys/query`, body: { device_keys: { 'not-a-user': [] } } },
    { method: 'POST', path: `${F}/user/keys/query`, body: { device_keys: { [alice.userId]: 'all' } } },
    { method: 'POST', path: `${F}/user/keys/query`, body: {} },
    { method: 'POST', path: `${F}/user/keys/claim`, body: { one_time_keys: { [alice.userId]: { [alice.deviceId]: 5 } } } },
    { method: 'GET', path: `${F}/query/profile` },
    { method: 'GET', path: `${F}/query/profile?user_id=nope` },
  ];
  for (const req of bad) {
    const res = await ask(req);
    t.is(res.status, 400, `${req.method} ${req.path} ${JSON.stringify(req.body)}`);
    t.regex(res.body.errcode, /^M_(BAD_JSON|INVALID_PARAM|MISSING_PARAM)$/);
  }
});

test('query/profile: the whole profile or one field; unknown users and fields, and other servers\' users, are 404', async (t) => {
  const alice = await newUser(fed.server('hs1.test'), 'alice');
  t_ok(await alice.call('PUT', `${C}/profile/${enc(alice.userId)}/displayname`, { displayname: 'Alice' }));
  t_ok(await alice.call('PUT', `${C}/profile/${enc(alice.userId)}/avatar_url`, { avatar_url: 'mxc://hs1.test/abc' }));
  const q = (params: string) => ask({ method: 'GET', path: `${F}/query/profile?${params}` });
  const all = await q(`user_id=${enc(alice.userId)}`);
  t.is(all.status, 200);
  t.deepEqual(all.body, { displayname: 'Alice', avatar_url: 'mxc://hs1.test/abc' });
  t.deepEqual((await q(`user_id=${enc(alice.userId)}&field=displayname`)).body, { displayname: 'Alice' });
  for (const params of [`user_id=${enc(alice.userId)}&field=m.tz`, `user_id=${enc('@nobody:hs1.test')}`, `user_id=${enc('@bob:hs2.test')}`]) {
    const res = await q(params);
    t.is(res.status, 404, params);
    t.is(res.body.errcode, 'M_NOT_FOUND');
  }
});

test('inbound m.direct_to_device: delivered once per message_id; a sender the origin does not host is dropped', async (t) => {
  const bob = await newUser(fed.server('hs2.test'), 'bob');
  const first = await syncUntil(bob, undefined, () => true);
  const edu = (sender: string, messageId: string, n: number) => ({
    edu_type: 'm.direct_to_device',
    content: { sender, type: 'm.test', message_id: messageId, messages: { [bob.userId]: { [bob.deviceId]: { n } } } },
  });
  // hs1 claims a user of hs2 as sender, then sends the same message twice, then a malformed one.
  await sendEdus(fed, 'hs1.test', 'hs2.test', [edu('@mallory:hs2.test', 'm0', 0)]);
  await sendEdus(fed, 'hs1.test', 'hs2.test', [edu('@carol:hs1.test', 'm1', 1)]);
  await sendEdus(fed, 'hs1.test', 'hs2.test', [edu('@carol:hs1.test', 'm1', 1)]);
  await sendEdus(fed, 'hs1.test', 'hs2.test', [{ edu_type: 'm.direct_to_device', content: { sender: '@carol:hs1.test', messages: 'x' } }]);
  await sendEdus(fed, 'hs1.test', 'hs2.test', [edu('@carol:hs1.test', 'm2', 2)]);
  const got = await syncUntil(bob, first.next_batch, (b) => (b.to_device?.events ?? []).some((e: any) => e.content.n === 2));
  t.deepEqual(
    got.to_device.events.map((e: any) => [e.sender, e.content.n]),
    [
      ['@carol:hs1.test', 1],
      ['@carol:hs1.test', 2],
    ],
  );
});

test('inbound key updates about users nobody here shares a room with, or another server\'s users, change nothing', async (t) => {
  const db = fed.server('hs2.test').hs.database.db;
  const count = async () => Number(((await db('keys_device_list_changes').count({ n: '*' }).first()) as { n: number | string }).n);
  const before = await count();
  await sendEdus(fed, 'hs1.test', 'hs2.test', [
    { edu_type: 'm.device_list_update', content: { user_id: '@stranger:hs1.test', device_id: 'D', stream_id: 1, prev_id: [], deleted: false } },
    { edu_type: 'm.signing_key_update', content: { user_id: '@stranger:hs1.test' } },
    { edu_type: 'm.device_list_update', content: { user_id: '@someone:hs2.test', device_id: 'D', stream_id: 1 } },
    { edu_type: 'm.device_list_update', content: { device_id: 'D' } },
  ]);
  t.is(await count(), before);
});
