import { renameSync, writeFileSync } from 'node:fs';
import type { Knex } from 'knex';
import { encodeBase64 } from '../../../core/base64.js';
import { addOldOwnKey } from '../storage/own-keys.js';
import { loadOrCreateSigningKey, newSigningKey, type ServerSigningKey } from '../signing-key.js';

/**
 * Replaces the server's signing key with a new one, keeping the old key published in
 * old_verify_keys with `expired_ts` = now, so signatures it made stay checkable. Run it while the
 * server is stopped: a running server keeps signing with the key it loaded at start.
 *
 * The old key is recorded before the new file replaces the old (an atomic rename), so a crash in
 * between leaves the current key in place and merely listed as old too, which the key document
 * ignores.
 */
export async function rotateSigningKey(db: Knex, keyFile: string, now: number = Date.now()): Promise<{ previous: ServerSigningKey; current: ServerSigningKey }> {
  const previous = loadOrCreateSigningKey(keyFile);
  await addOldOwnKey(db, { keyId: previous.keyId, publicKey: previous.publicKey, expiredTs: now });
  let current = newSigningKey();
  // Versions are short; a new key must not reuse the old one's ID.
  while (current.keyId === previous.keyId) current = newSigningKey();
  const version = current.keyId.slice('ed25519:'.length);
  const tmp = `${keyFile}.${process.pid}.tmp`;
  writeFileSync(tmp, `ed25519 ${version} ${encodeBase64(current.seed)}\n`, { mode: 0o600 });
  renameSync(tmp, keyFile);
  return { previous, current };
}
