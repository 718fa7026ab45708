import { mkdir, open, rename, rm, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { BlobStore, ByteRange } from './blob-store.js';

const KEY = /^(content\/[0-9a-f]{64}|thumbnails\/[0-9a-f]{64}\/[A-Za-z0-9._-]+|thumbnails\/[0-9a-f]{64}\/)$/;

/**
 * Blobs as files under `<root>`: `content/ab/cd/<sha256>` and `thumbnails/ab/cd/<sha256>/<name>`.
 * Two levels of fan-out keep folders small with millions of files.
 */
export class FilesystemBlobStore implements BlobStore {
  constructor(private readonly root: string) {}

  /** The file of a key; keys are checked so that no path can leave the root. */
  pathOf(key: string): string {
    if (!KEY.test(key)) throw new Error(`invalid blob key ${JSON.stringify(key)}`);
    const [kind, hash, name] = key.split('/') as [string, string, string | undefined];
    const parts = [this.root, kind, hash.slice(0, 2), hash.slice(2, 4), hash];
    return name ? path.join(...parts, name) : path.join(...parts);
  }

  async put(key: string, tempPath: string): Promise<void> {
    const target = this.pathOf(key);
    await mkdir(path.dirname(target), { recursive: true });
    // rename is atomic: a reader sees the old file or the new, never half of one.
    await rename(tempPath, target);
  }

  async read(key: string, range?: ByteRange): Promise<Readable | undefined> {
    // Opening first turns "missing" into undefined instead of a stream that fails later.
    let handle;
    try {
      handle = await open(this.pathOf(key), 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    return handle.createReadStream({ autoClose: true, start: range?.start, end: range?.end });
  }

  async delete(key: string): Promise<void> {
    await unlink(this.pathOf(key)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }

  async deletePrefix(prefix: string): Promise<void> {
    await rm(this.pathOf(prefix), { recursive: true, force: true });
  }

  async withLocalFile<T>(key: string, fn: (path: string) => Promise<T>): Promise<T | undefined> {
    const file = this.pathOf(key);
    try {
      const h = await open(file, 'r');
      await h.close();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    return fn(file);
  }
}
