import test from 'ava';
import * as sdk from 'matrix-js-sdk';
import type { GeneratedSecretStorageKey } from 'matrix-js-sdk/lib/crypto-api/index.js';
import { quietJsSdk } from '../helpers/js-sdk.js';
import { C, eventually, login, registerUser, startKeysServer, type TestUser } from './helpers.js';

quietJsSdk();

/** A client with the Rust crypto stack in memory (no IndexedDB under Node). */
async function cryptoClient(url: string, user: TestUser, callbacks: sdk.ICryptoCallbacks = {}): Promise<sdk.MatrixClient> {
  const c = sdk.createClient({ baseUrl: url, accessToken: user.accessToken, userId: user.userId, deviceId: user.deviceId, cryptoCallbacks: callbacks });
  await c.initRustCrypto({ useIndexedDB: false });
  return c;
}

async function start(c: sdk.MatrixClient): Promise<void> {
  const prepared = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('sync never became PREPARED')), 30_000);
    c.on(sdk.ClientEvent.Sync, (state) => {
      if (state === sdk.SyncState.Prepared) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  await c.startClient({ initialSyncLimit: 20 });
  await prepared;
}

/** The decrypted body of an event once the client could decrypt it. */
function decryptedBody(c: sdk.MatrixClient, roomId: string, eventId: string, label: string): Promise<string> {
  return eventually(
    async () => {
      const e = c.getRoom(roomId)?.findEventById(eventId);
      if (!e) return undefined;
      await c.decryptEventIfNeeded(e);
      const body = e.getClearContent()?.body;
      return e.isEncrypted() && !e.isDecryptionFailure() && typeof body === 'string' ? body : undefined;
    },
    label,
    30_000,
  );
}

test('matrix-js-sdk with Rust crypto: encrypted messages both ways, cross-signing, a key backup restored on a new device', async (t) => {
  t.timeout(110_000);
  const s = await startKeysServer(t);
  const aliceUser = await registerUser(s, 'alice');
  const bobUser = await registerUser(s, 'bob');

  // Secret storage key of alice, shared by her devices (what a user would type in).
  let recovery: GeneratedSecretStorageKey | undefined;
  const secretStorage: sdk.ICryptoCallbacks = {
    getSecretStorageKey: async ({ keys }) => {
      const keyId = Object.keys(keys)[0];
      return recovery && keyId ? [keyId, recovery.privateKey] : null;
    },
  };
  const alice = await cryptoClient(s.url, aliceUser, secretStorage);
  const bob = await cryptoClient(s.url, bobUser);
  const clients = [alice, bob];
  t.teardown(() => clients.forEach((c) => c.stopClient()));
  await Promise.all([start(alice), start(bob)]);

  bob.on(sdk.RoomMemberEvent.Membership, (_e, member) => {
    if (member.userId === bobUser.userId && member.membership === 'invite') void bob.joinRoom(member.roomId);
  });
  const { room_id: roomId } = await alice.createRoom({
    name: 'secret',
    invite: [bobUser.userId],
    initial_state: [{ type: 'm.room.encryption', state_key: '', content: { algorithm: 'm.megolm.v1.aes-sha2' } }],
  });
  await eventually(async () => (alice.getRoom(roomId)?.getMember(bobUser.userId)?.membership === 'join' ? true : undefined), 'bob joins', 20_000);
  t.true(await alice.getCrypto()!.isEncryptionEnabledInRoom(roomId));

  // Alice → Bob: sent as m.room.encrypted, decrypted by Bob's device.
  const { event_id: fromAlice } = await alice.sendTextMessage(roomId, 'hello bob, secretly');
  const raw = await s.request('GET', `${C}/rooms/${encodeURIComponent(roomId)}/event/${encodeURIComponent(fromAlice)}`, undefined, { Authorization: `Bearer ${bobUser.accessToken}` });
  t.is(raw.body.type, 'm.room.encrypted', 'the server only ever sees ciphertext');
  t.is(raw.body.content.algorithm, 'm.megolm.v1.aes-sha2');
  t.is(await decryptedBody(bob, roomId, fromAlice, 'bob decrypts alice'), 'hello bob, secretly');

  // Bob → Alice.
  const { event_id: fromBob } = await bob.sendTextMessage(roomId, 'hello alice, secretly');
  t.is(await decryptedBody(alice, roomId, fromBob, 'alice decrypts bob'), 'hello alice, secretly');

  // Cross-signing for Alice (first upload: no UIA), then secret storage in account data with a new key backup.
  const aliceCrypto = alice.getCrypto()!;
  await aliceCrypto.bootstrapCrossSigning({ authUploadDeviceSigningKeys: async (makeRequest) => void (await makeRequest(null)) });
  t.true(await aliceCrypto.isCrossSigningReady());
  await aliceCrypto.bootstrapSecretStorage({
    createSecretStorageKey: async () => (recovery = await aliceCrypto.createRecoveryKeyFromPassphrase()),
    setupNewSecretStorage: true,
    setupNewKeyBackup: true,
  });
  // Readiness is judged from account data as the client's own sync echoes it back: allow for a slow machine.
  t.true(await eventually(async () => ((await aliceCrypto.isSecretStorageReady()) ? true : undefined), 'secret storage ready', 30_000));
  t.true(await bob.getCrypto()!.userHasCrossSigningKeys(aliceUser.userId, true), 'bob sees alice cross-signing identity');
  const own = await aliceCrypto.getDeviceVerificationStatus(aliceUser.userId, aliceUser.deviceId);
  t.true(own?.crossSigningVerified, 'alice device is signed by her self-signing key');
  t.false(await aliceCrypto.isDehydrationSupported(), 'dehydrated devices (MSC3814) are not offered');

  // Alice's device backs up both room keys (hers and Bob's) on its own schedule.
  const backup = await eventually(
    async () => {
      const v = await aliceUser.call('GET', `${C}/room_keys/version`);
      return v.status === 200 && v.body.count >= 2 ? v.body : undefined;
    },
    'room keys backed up',
    30_000,
  );
  t.is(backup.algorithm, 'm.megolm_backup.v1.curve25519-aes-sha2');
  alice.stopClient();

  // A second device of Alice: gets the backup key from secret storage, restores, decrypts history.
  const phoneUser = await login(s, aliceUser);
  const phone = await cryptoClient(s.url, phoneUser, secretStorage);
  clients.push(phone);
  await start(phone);
  const phoneCrypto = phone.getCrypto()!;
  await phoneCrypto.loadSessionBackupPrivateKeyFromSecretStorage();
  const restored = await phoneCrypto.restoreKeyBackup();
  t.true(restored.imported >= 2, `imported ${restored.imported} of ${restored.total}`);
  t.is(await decryptedBody(phone, roomId, fromAlice, 'new device decrypts history'), 'hello bob, secretly');
  t.is(await decryptedBody(phone, roomId, fromBob, 'new device decrypts bob'), 'hello alice, secretly');
});
