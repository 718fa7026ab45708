import type { Knex } from '../../db/database.js';
import type { ContentLibrary } from './library.js';
import { deleteMediaRow, lockMedia, type MediaKey } from './storage/media.js';

/**
 * Deletes media items one transaction each: the row goes, and its content (and kept original)
 * lose a reference, so bytes shared with other items stay. Answers the media IDs deleted.
 */
export async function deleteMedia(db: Knex, library: ContentLibrary, keys: readonly MediaKey[]): Promise<string[]> {
  const deleted: string[] = [];
  for (const key of keys) {
    const gone = await db.transaction(async (trx) => {
      const row = await lockMedia(trx, key);
      if (!row) return false;
      await deleteMediaRow(trx, key);
      await library.release(trx, row.sha256);
      await library.release(trx, row.original_sha256);
      return true;
    });
    if (gone) deleted.push(key.mediaId);
  }
  return deleted;
}
