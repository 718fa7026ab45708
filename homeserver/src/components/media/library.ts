import type { Knex } from '../../db/database.js';
import { contentKey, thumbnailPrefix, type BlobStore } from './blobs/blob-store.js';
import type { ReceivedFile } from './blobs/receive.js';
import { acquireContent, releaseContent } from './storage/content.js';
import { deleteThumbnailsOf } from './storage/thumbnails.js';

/**
 * Content-addressed storage with reference counts: identical bytes are stored once, and the file
 * is removed only when the last media item pointing at it is. Both steps run inside the caller's
 * transaction and hold the content row's lock while the file moves, so an upload and a deletion
 * of the same bytes cannot interleave.
 */
export class ContentLibrary {
  constructor(
    readonly blobs: BlobStore,
    private readonly onContentDeleted: (sha256: string) => void = () => {},
  ) {}

  /** Takes a reference on the file's bytes and moves it into the store. Answers the bytes' quarantine mark. */
  async add(trx: Knex.Transaction, file: ReceivedFile, now: number): Promise<string | null> {
    const { quarantinedBy } = await acquireContent(trx, file.sha256, file.size, now);
    // Always moved, even when the bytes were there already: it restores a file lost to a crash
    // between a deletion's unlink and its commit.
    await this.blobs.put(contentKey(file.sha256), file.path);
    return quarantinedBy;
  }

  /** Drops a reference; the last one takes the file and its thumbnails with it. */
  async release(trx: Knex.Transaction, sha256: string | null): Promise<void> {
    if (!sha256) return;
    if (!(await releaseContent(trx, sha256))) return;
    await deleteThumbnailsOf(trx, sha256);
    await this.blobs.delete(contentKey(sha256));
    await this.blobs.deletePrefix(thumbnailPrefix(sha256));
    this.onContentDeleted(sha256);
  }
}
