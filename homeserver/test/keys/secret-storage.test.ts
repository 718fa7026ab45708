import { randomBytes } from 'node:crypto';
import test from 'ava';
import { C, enc, login, registerUser, startKeysServer, sync } from './helpers.js';

const b64 = (n: number): string => randomBytes(n).toString('base64').replace(/=+$/, '');

/** An item as secret storage writes it: each secret encrypted with one or more storage keys. */
const encrypted = (keyIds: string[], bytes: number) => ({
  encrypted: Object.fromEntries(keyIds.map((id) => [id, { iv: b64(16), ciphertext: b64(bytes), mac: b64(32) }])),
});

test('secret storage lives in account data: exact types, large encrypted blobs, seen by a new device', async (t) => {
  const s = await startKeysServer(t);
  const alice = await registerUser(s, 'alice');
  const g = `${C}/user/${enc(alice.userId)}/account_data`;
  const keyId = 'Xyz/+=.key_1';
  const items: Record<string, Record<string, unknown>> = {
    [`m.secret_storage.key.${keyId}`]: {
      name: 'Recovery key',
      algorithm: 'm.secret_storage.v1.aes-hmac-sha2',
      passphrase: { algorithm: 'm.pbkdf2', salt: b64(24), iterations: 500000, bits: 256 },
      iv: b64(16),
      mac: b64(32),
    },
    'm.secret_storage.default_key': { key: keyId },
    'm.cross_signing.master': encrypted([keyId, 'oldkey'], 64),
    'm.cross_signing.self_signing': encrypted([keyId], 64),
    'm.cross_signing.user_signing': encrypted([keyId], 64),
    'm.megolm_backup.v1': encrypted([keyId], 64),
    // Clients store their own secrets the same way; some are large.
    'org.example.big_secret': encrypted([keyId], 600 * 1024),
  };
  for (const [type, content] of Object.entries(items)) {
    const res = await alice.call('PUT', `${g}/${enc(type)}`, content);
    t.is(res.status, 200, type);
    t.deepEqual((await alice.call('GET', `${g}/${enc(type)}`)).body, content, type);
  }

  // A device that logs in later finds every item in its first sync, byte for byte.
  const phone = await login(s, alice);
  const first = await sync(phone);
  const seen = Object.fromEntries((first.account_data.events as Array<{ type: string; content: unknown }>).map((e) => [e.type, e.content]));
  for (const [type, content] of Object.entries(items)) t.deepEqual(seen[type], content, type);

  // Rotating the default key is one more write that the other device's incremental sync shows.
  const since = first.next_batch;
  await alice.call('PUT', `${g}/m.secret_storage.default_key`, { key: 'newkey' });
  const next = await sync(phone, { since, timeout: '0' });
  t.deepEqual(next.account_data.events, [{ type: 'm.secret_storage.default_key', content: { key: 'newkey' } }]);
});
