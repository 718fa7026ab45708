import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';

const gzipAsync = promisify(gzip);

/** Worth compressing: text and WebAssembly (the E2EE module shrinks to a third). */
const COMPRESSIBLE = /^(text\/|application\/(javascript|json|wasm|manifest\+json)|image\/svg\+xml)/;

const MAX_CACHED_BYTES = 64 * 1024 * 1024;

/**
 * Gzipped copies of the client's files, made once per file version and kept in memory: the
 * build is small and fixed, so compressing per request would only waste CPU.
 */
export class GzipCache {
  private readonly entries = new Map<string, Promise<Buffer>>();
  private bytes = 0;

  static compressible(contentType: string): boolean {
    return COMPRESSIBLE.test(contentType);
  }

  get(file: string, mtimeMs: number): Promise<Buffer> {
    const key = `${file}:${mtimeMs}`;
    let entry = this.entries.get(key);
    if (!entry) {
      entry = readFile(file).then((raw) => gzipAsync(raw, { level: 9 }));
      this.entries.set(key, entry);
      entry.then(
        (buf) => {
          this.bytes += buf.length;
          // A runaway (many rebuilds in one process) starts over rather than growing forever.
          if (this.bytes > MAX_CACHED_BYTES) {
            this.entries.clear();
            this.bytes = 0;
          }
        },
        () => this.entries.delete(key),
      );
    }
    return entry;
  }
}
