import test from 'ava';
import type * as sdk from 'matrix-js-sdk';
import { useNetwork } from '../harness/ava.js';
import { Prerequisite, registerCast } from '../harness/cast.js';
import type { MatrixUser } from '../harness/client.js';
import { makeDevice, oneTimeKeys, type TestDevice } from '../harness/device-keys.js';
import { decryptedBody, quietJsSdk, startCryptoClient } from '../harness/js-sdk.js';
import { formRoom } from '../harness/rooms.js';
import { eventually } from '../harness/wait.js';

/**
 * End-to-end encryption across servers: device lists, key queries and claims go over federation,
 * to-device messages cross servers, and a real client on one server decrypts what a real client
 * on another encrypted.
 */

quietJsSdk();
const network = useNetwork(test);
let alice: MatrixUser; // hs1.test
let bob: MatrixUser; // hs2.test
let aliceDevice: TestDevice;
const shared = new Prerequisite<string>('a room shared by alice (hs1) and bob (hs2)');

test.before(async () => {
  ({ alice, bob } = await registerCast(network(), { alice: 'hs1.test', bob: 'hs2.test' }));
  aliceDevice = makeDevice(alice.userId, alice.deviceId);
  await alice.uploadKeys({ device_keys: aliceDevice.deviceKeys, one_time_keys: oneTimeKeys(aliceDevice, 2) });
});

test.serial('keys of a user on hs1 are queried from hs2 over federation', async (t) => {
  await shared.establish(() => formRoom(alice, [bob]));
  const answer = await bob.queryKeys([alice.userId]);
  t.deepEqual(answer.failures ?? {}, {}, 'hs1 answered');
  t.deepEqual(answer.device_keys?.[alice.userId]?.[alice.deviceId]?.keys, aliceDevice.deviceKeys['keys']);
  t.deepEqual(answer.device_keys[alice.userId][alice.deviceId].signatures, aliceDevice.deviceKeys['signatures'], 'the device signature is passed on intact');
});

test.serial('a new device on hs1 reaches hs2: device_lists.changed in /sync, then in /keys/query', async (t) => {
  shared.get();
  await bob.syncOnce();
  bob.view.deviceListsChanged.clear();
  const phone = await alice.login();
  const phoneDevice = makeDevice(alice.userId, phone.deviceId);
  await phone.uploadKeys({ device_keys: phoneDevice.deviceKeys });
  await bob.syncUntil('alice in device_lists.changed', (v) => v.deviceListsChanged.has(alice.userId));
  const answer = await bob.queryKeys([alice.userId]);
  t.deepEqual(Object.keys(answer.device_keys?.[alice.userId] ?? {}).sort(), [alice.deviceId, phone.deviceId].sort());
});

test.serial('one-time keys of a device on hs1 are claimed from hs2, each once', async (t) => {
  shared.get();
  const claimed = new Set<string>();
  for (let i = 0; i < 2; i++) {
    const answer = await bob.claimKeys({ [alice.userId]: { [alice.deviceId]: 'signed_curve25519' } });
    t.deepEqual(answer.failures ?? {}, {});
    const keys = answer.one_time_keys?.[alice.userId]?.[alice.deviceId] ?? {};
    const [keyId, key] = Object.entries<any>(keys)[0] ?? [];
    t.truthy(keyId, `claim ${i + 1} got a key: ${JSON.stringify(answer)}`);
    t.truthy(key?.signatures?.[alice.userId]?.[`ed25519:${alice.deviceId}`], 'signed by the device');
    claimed.add(keyId!);
  }
  t.is(claimed.size, 2, 'two claims, two different keys');
  const third = await bob.claimKeys({ [alice.userId]: { [alice.deviceId]: 'signed_curve25519' } });
  t.deepEqual(third.one_time_keys?.[alice.userId]?.[alice.deviceId] ?? {}, {}, 'no key left to claim');
});

test.serial('to-device messages cross servers, to one device and to all of them', async (t) => {
  shared.get();
  await bob.sendToDevice('org.hearth.test.ping', { [alice.userId]: { [alice.deviceId]: { n: 1 } } });
  const one = await alice.syncUntil('the to-device message', (v) => v.toDevice.find((e) => e.type === 'org.hearth.test.ping' && e.content['n'] === 1));
  t.is(one.sender, bob.userId);

  await bob.sendToDevice('org.hearth.test.ping', { [alice.userId]: { '*': { n: 2 } } });
  const all = await alice.syncUntil('the to-device message for every device', (v) => v.toDevice.find((e) => e.type === 'org.hearth.test.ping' && e.content['n'] === 2));
  t.is(all.sender, bob.userId);
});

test.serial('matrix-js-sdk on hs2 decrypts what matrix-js-sdk on hs1 encrypted, and the other way round', async (t) => {
  t.timeout(120_000);
  const { 'alice-sdk': aliceUser, 'bob-sdk': bobUser } = await registerCast(network(), { 'alice-sdk': 'hs1.test', 'bob-sdk': 'hs2.test' });
  const clients: sdk.MatrixClient[] = [];
  t.teardown(() => clients.forEach((c) => c.stopClient()));
  const aliceClient = await startCryptoClient(aliceUser);
  clients.push(aliceClient);
  const bobClient = await startCryptoClient(bobUser);
  clients.push(bobClient);

  const roomId = await formRoom(aliceUser, [bobUser], {
    initial_state: [{ type: 'm.room.encryption', state_key: '', content: { algorithm: 'm.megolm.v1.aes-sha2' } }],
  });
  // Sending before the client knows the room is encrypted would send plain text.
  await eventually('alice client sees bob joined in an encrypted room', async () =>
    aliceClient.getRoom(roomId)?.getMember(bobUser.userId)?.membership === 'join' && (await aliceClient.getCrypto()!.isEncryptionEnabledInRoom(roomId)),
  );
  const { event_id: fromAlice } = await aliceClient.sendTextMessage(roomId, 'a secret from hs1');
  t.is(await decryptedBody(bobClient, roomId, fromAlice, 'bob decrypts alice'), 'a secret from hs1');
  const raw = await bobUser.event(roomId, fromAlice);
  t.is(raw.type, 'm.room.encrypted', 'hs2 only ever has the ciphertext');

  await eventually(
    "bob's matrix-js-sdk to mark the room encrypted (from the m.room.encryption state /sync gave it)",
    async () => bobClient.getRoom(roomId) !== null && (await bobClient.getCrypto()!.isEncryptionEnabledInRoom(roomId)),
  );
  const { event_id: fromBob } = await bobClient.sendTextMessage(roomId, 'a secret from hs2');
  t.is(await decryptedBody(aliceClient, roomId, fromBob, 'alice decrypts bob'), 'a secret from hs2');
});
