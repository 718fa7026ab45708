import test from 'ava';
import { generateSigningKey } from '../../src/core/signing.js';
import { C, PASSWORD, makeCrossSigning, makeDevice, registerUser, sign, startKeysServer, upload, type TestUser } from './helpers.js';

const uploadSigning = (user: TestUser, body: Record<string, unknown>) => user.call('POST', `${C}/keys/device_signing/upload`, body);
const uploadSigs = (user: TestUser, body: Record<string, unknown>) => user.call('POST', `${C}/keys/signatures/upload`, body);
const query = (user: TestUser, users: string[]) => user.call('POST', `${C}/keys/query`, { device_keys: Object.fromEntries(users.map((u) => [u, []])) });
const password = (user: TestUser, session: string) => ({ type: 'm.login.password', identifier: { type: 'm.id.user', user: user.userId }, password: PASSWORD, session });

test('cross-signing keys: the first upload needs no UIA, the same keys again neither, a replacement needs the password', async (t) => {
  const s = await startKeysServer(t);
  const alice = await registerUser(s, 'alice');
  const cs = makeCrossSigning(alice.userId);
  const all = { master_key: cs.masterKey, self_signing_key: cs.sskKey, user_signing_key: cs.uskKey };
  t.is((await uploadSigning(alice, all)).status, 200);
  t.is((await uploadSigning(alice, all)).status, 200, 'a retried upload of the same keys');

  const next = makeCrossSigning(alice.userId);
  const replace = { master_key: next.masterKey, self_signing_key: next.sskKey, user_signing_key: next.uskKey };
  const challenge = await uploadSigning(alice, replace);
  t.is(challenge.status, 401);
  t.deepEqual(challenge.body.flows, [{ stages: ['m.login.password'] }]);
  const wrong = await uploadSigning(alice, { ...replace, auth: { ...password(alice, challenge.body.session), password: 'nope' } });
  t.is(wrong.status, 401);
  t.is(wrong.body.errcode, 'M_FORBIDDEN');
  let q = await query(alice, [alice.userId]);
  t.deepEqual(q.body.master_keys[alice.userId].keys, cs.masterKey.keys, 'nothing changed without UIA');

  t.is((await uploadSigning(alice, { ...replace, auth: password(alice, challenge.body.session) })).status, 200);
  q = await query(alice, [alice.userId]);
  t.deepEqual(q.body.master_keys[alice.userId], next.masterKey);
  t.deepEqual(q.body.self_signing_keys[alice.userId], next.sskKey);
  t.deepEqual(q.body.user_signing_keys[alice.userId], next.uskKey);

  // A new self-signing key alone is a replacement too.
  const ssk2 = sign({ user_id: alice.userId, usage: ['self_signing'], keys: { [`ed25519:${generateSigningKey().publicKey}`]: 'x' } }, alice.userId, `ed25519:${next.master.publicKey}`, next.master);
  t.is((await uploadSigning(alice, { self_signing_key: ssk2 })).status, 400, 'the key ID must name the key');
  const k = generateSigningKey();
  const ssk3 = sign({ user_id: alice.userId, usage: ['self_signing'], keys: { [`ed25519:${k.publicKey}`]: k.publicKey } }, alice.userId, `ed25519:${next.master.publicKey}`, next.master);
  t.is((await uploadSigning(alice, { self_signing_key: ssk3 })).status, 401);
});

test('cross-signing keys: signatures by the master key are required, a master key is required, device IDs are taken', async (t) => {
  const s = await startKeysServer(t);
  const alice = await registerUser(s, 'alice');
  const cs = makeCrossSigning(alice.userId);

  const noMaster = await uploadSigning(alice, { self_signing_key: cs.sskKey });
  t.is(noMaster.status, 400);
  t.is(noMaster.body.errcode, 'M_MISSING_PARAM');

  const other = makeCrossSigning(alice.userId);
  const badSig = await uploadSigning(alice, { master_key: cs.masterKey, self_signing_key: other.sskKey });
  t.is(badSig.status, 400);
  t.is(badSig.body.errcode, 'M_INVALID_SIGNATURE');

  const notMine = makeCrossSigning('@bob:hs.test');
  const wrongUser = await uploadSigning(alice, { master_key: notMine.masterKey });
  t.is(wrongUser.status, 400);
  t.is(wrongUser.body.errcode, 'M_INVALID_PARAM');
  const wrongUsage = await uploadSigning(alice, { master_key: { ...cs.masterKey, usage: ['self_signing'] } });
  t.is(wrongUsage.body.errcode, 'M_INVALID_PARAM');

  // A master key whose public key is one of the user's device IDs.
  const taken = generateSigningKey();
  const res = await s.request('POST', `${C}/login`, { type: 'm.login.password', identifier: { type: 'm.id.user', user: alice.userId }, password: PASSWORD, device_id: taken.publicKey });
  t.is(res.status, 200);
  const inUse = await uploadSigning(alice, { master_key: { user_id: alice.userId, usage: ['master'], keys: { [`ed25519:${taken.publicKey}`]: taken.publicKey } } });
  t.is(inUse.status, 403);
  t.is(inUse.body.errcode, 'M_FORBIDDEN');

  t.is((await uploadSigning(alice, { master_key: cs.masterKey, self_signing_key: 'x' })).body.errcode, 'M_BAD_JSON');
});

test('signatures: devices by the self-signing key, the master key by a device, others by the user-signing key; failures per key', async (t) => {
  const s = await startKeysServer(t);
  const alice = await registerUser(s, 'alice');
  const bob = await registerUser(s, 'bob');
  const carol = await registerUser(s, 'carol');
  const dev = makeDevice(alice);
  await upload(alice, { device_keys: dev.keys });
  const acs = makeCrossSigning(alice.userId);
  const bcs = makeCrossSigning(bob.userId);
  await uploadSigning(alice, { master_key: acs.masterKey, self_signing_key: acs.sskKey, user_signing_key: acs.uskKey });
  await uploadSigning(bob, { master_key: bcs.masterKey, self_signing_key: bcs.sskKey, user_signing_key: bcs.uskKey });

  const sskId = `ed25519:${acs.ssk.publicKey}`;
  const signedDevice = sign(dev.keys, alice.userId, sskId, acs.ssk);
  const signedMaster = sign(acs.masterKey, alice.userId, `ed25519:${alice.deviceId}`, dev.ed);
  const signedBob = sign(bcs.masterKey, alice.userId, `ed25519:${acs.usk.publicKey}`, acs.usk);
  const forgedDevice = sign(dev.keys, alice.userId, sskId, generateSigningKey());
  const tampered = sign({ ...dev.keys, algorithms: ['other'] }, alice.userId, sskId, acs.ssk);

  const good = await uploadSigs(alice, {
    [alice.userId]: { [alice.deviceId]: signedDevice, [acs.master.publicKey]: signedMaster, NOSUCHDEVICE: { ...signedDevice, device_id: 'NOSUCHDEVICE' } },
    [bob.userId]: { [bcs.master.publicKey]: signedBob, notbobskey: signedBob },
    [carol.userId]: { whatever: signedBob },
  });
  t.is(good.status, 200);
  t.deepEqual(Object.keys(good.body.failures).sort(), [alice.userId, bob.userId, carol.userId].sort());
  t.is(good.body.failures[alice.userId].NOSUCHDEVICE.errcode, 'M_NOT_FOUND');
  t.deepEqual(Object.keys(good.body.failures[alice.userId]), ['NOSUCHDEVICE']);
  t.is(good.body.failures[bob.userId].notbobskey.errcode, 'M_NOT_FOUND');
  t.is(good.body.failures[carol.userId].whatever.errcode, 'M_NOT_FOUND', 'carol has no master key');

  const bad = await uploadSigs(alice, { [alice.userId]: { [alice.deviceId]: forgedDevice } });
  t.is(bad.body.failures[alice.userId][alice.deviceId].errcode, 'M_INVALID_SIGNATURE');
  const changed = await uploadSigs(alice, { [alice.userId]: { [alice.deviceId]: tampered } });
  t.is(changed.body.failures[alice.userId][alice.deviceId].errcode, 'M_INVALID_PARAM');

  // Alice sees her device signed by her SSK, her master key signed by her device, bob's master signed by her USK.
  const aliceView = await query(alice, [alice.userId, bob.userId]);
  t.is(aliceView.body.device_keys[alice.userId][alice.deviceId].signatures[alice.userId][sskId], signedDevice.signatures[alice.userId][sskId]);
  t.truthy(aliceView.body.master_keys[alice.userId].signatures[alice.userId][`ed25519:${alice.deviceId}`]);
  t.truthy(aliceView.body.master_keys[bob.userId].signatures[alice.userId][`ed25519:${acs.usk.publicKey}`]);
  t.deepEqual(Object.keys(aliceView.body.user_signing_keys), [alice.userId], 'only her own user-signing key');

  // Bob and carol see alice's own signatures, but not who alice verified.
  for (const viewer of [bob, carol]) {
    const view = await query(viewer, [alice.userId, bob.userId]);
    t.truthy(view.body.device_keys[alice.userId][alice.deviceId].signatures[alice.userId][sskId]);
    t.falsy(view.body.master_keys[bob.userId].signatures?.[alice.userId]);
    t.false(Object.hasOwn(view.body.user_signing_keys, alice.userId));
  }

  // A user without a user-signing key cannot sign others.
  const noUsk = await uploadSigs(carol, { [bob.userId]: { [bcs.master.publicKey]: signedBob } });
  t.is(noUsk.body.failures[bob.userId][bcs.master.publicKey].errcode, 'M_NOT_FOUND');
  t.is((await uploadSigs(alice, { 'not-a-user': {} })).body.errcode, 'M_BAD_JSON');
});
