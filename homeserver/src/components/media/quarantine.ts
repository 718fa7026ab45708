import type { Knex } from '../../db/database.js';
import { setContentQuarantine } from './storage/content.js';
import { hashesOf, setQuarantine, type MediaKey } from './storage/media.js';

/**
 * Quarantine follows the bytes, as Synapse's does since it tracks hashes: quarantining one item
 * also quarantines every other item with the same content, and marks the content so that a later
 * upload or cached copy of it arrives quarantined. Protected items are never quarantined.
 */
export async function quarantineMedia(db: Knex, key: MediaKey, by: string): Promise<void> {
  await db.transaction(async (trx) => {
    const hashes = await hashesOf(trx, { keys: [key] });
    await setQuarantine(trx, { keys: [key], sha256s: hashes }, by);
    await setContentQuarantine(trx, hashes, by);
  });
}

export async function unquarantineMedia(db: Knex, key: MediaKey): Promise<void> {
  await db.transaction(async (trx) => {
    const hashes = await hashesOf(trx, { keys: [key] });
    await setQuarantine(trx, { keys: [key], sha256s: hashes }, null);
    await setContentQuarantine(trx, hashes, null);
  });
}

/** Every item a local user uploaded; answers how many of theirs were quarantined. */
export async function quarantineUserMedia(db: Knex, serverName: string, userId: string, by: string): Promise<number> {
  return db.transaction(async (trx) => {
    const hashes = await hashesOf(trx, { userId, serverName });
    const n = await setQuarantine(trx, { userId, serverName }, by);
    await setQuarantine(trx, { sha256s: hashes }, by);
    await setContentQuarantine(trx, hashes, by);
    return n;
  });
}
