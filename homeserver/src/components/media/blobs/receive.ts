import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { TempFiles } from './temp-files.js';

/** A file in the temporary folder with its SHA-256 (hex) and size. */
export interface ReceivedFile {
  path: string;
  sha256: string;
  size: number;
}

/** Thrown when a stream passes its byte limit; callers map it to their own 413 or 502. */
export class SizeLimitExceeded extends Error {
  constructor(readonly limit: number) {
    super(`more than ${limit} bytes`);
    this.name = 'SizeLimitExceeded';
  }
}

/** Hashes and counts bytes on their way through, failing as soon as the limit is passed. */
class HashAndCount extends Transform {
  readonly hash = createHash('sha256');
  size = 0;

  constructor(private readonly limit: number) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.size += chunk.length;
    if (this.size > this.limit) {
      done(new SizeLimitExceeded(this.limit));
      return;
    }
    this.hash.update(chunk);
    done(null, chunk);
  }
}

/**
 * Streams `source` into a new temporary file, hashing as it goes: no upload is ever held whole
 * in memory. On any failure (limit, client gone) the partial file is removed.
 */
export async function receiveToTempFile(source: AsyncIterable<Uint8Array> | NodeJS.ReadableStream, temp: TempFiles, limit: number): Promise<ReceivedFile> {
  const file = temp.newPath();
  const counter = new HashAndCount(limit);
  try {
    await pipeline(source, counter, createWriteStream(file, { flags: 'wx' }));
  } catch (err) {
    await temp.remove(file);
    throw err;
  }
  return { path: file, sha256: counter.hash.digest('hex'), size: counter.size };
}

/** Hashes a file already on disk (one the image encoder wrote). */
export async function hashFile(file: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { sha256: hash.digest('hex'), size };
}
