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

/** Keys per statement: each becomes two bound parameters. */
const QUARANTINE_BATCH = 500;

/**
 * Many items at once (a room's media), with their identical copies, in one transaction; answers
 * how many rows were quarantined (copies included, protected items not). Items not stored here
 * (remote media never fetched) are skipped.
 */
export async function quarantineMediaItems(db: Knex, keys: readonly MediaKey[], by: string): Promise<number> {
  return db.transaction(async (trx) => {
    let n = 0;
    for (let i = 0; i < keys.length; i += QUARANTINE_BATCH) {
      const batch = keys.slice(i, i + QUARANTINE_BATCH);
      const hashes = await hashesOf(trx, { keys: batch });
      n += await setQuarantine(trx, { keys: batch, sha256s: hashes }, by);
      await setContentQuarantine(trx, hashes, by);
    }
    return n;
  });
}
