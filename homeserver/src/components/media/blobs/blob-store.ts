import type { Readable } from 'node:stream';

/** A byte range, both ends inclusive, as HTTP Range has them. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * Where media bytes live, by key (`content/<sha256>`, `thumbnails/<sha256>/<name>`). Keys are
 * chosen by the media component and never come from a request. The local filesystem store is
 * the one there is; an S3-compatible store implements the same calls (put = PutObject from the
 * temporary file, read = GetObject with Range, withLocalFile = download to a temporary file).
 */
export interface BlobStore {
  /** Moves a finished temporary file into the store under `key`, replacing what was there. */
  put(key: string, tempPath: string): Promise<void>;
  /** A stream of the bytes (or of `range`), or undefined when there is no such blob. */
  read(key: string, range?: ByteRange): Promise<Readable | undefined>;
  /** Removes a blob; a missing one is not an error. */
  delete(key: string): Promise<void>;
  /** Removes every blob whose key starts with `prefix` (a thumbnail folder). */
  deletePrefix(prefix: string): Promise<void>;
  /** Runs `fn` with a local path of the blob (image decoders read files), or undefined when missing. */
  withLocalFile<T>(key: string, fn: (path: string) => Promise<T>): Promise<T | undefined>;
}

export const contentKey = (sha256: string): string => `content/${sha256}`;
export const thumbnailPrefix = (sha256: string): string => `thumbnails/${sha256}/`;
export const thumbnailKey = (sha256: string, name: string): string => `${thumbnailPrefix(sha256)}${name}`;
