import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';

/**
 * Temporary files for uploads in progress and re-encoded images. They live beside the store so
 * that moving one into it is a rename, not a copy.
 */
export class TempFiles {
  constructor(readonly dir: string) {}

  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    // Leftovers of a process that died mid-upload belong to no request any more.
    for (const name of await readdir(this.dir)) await rm(path.join(this.dir, name), { force: true, recursive: true });
  }

  newPath(suffix = ''): string {
    return path.join(this.dir, `${Date.now()}-${randomBytes(8).toString('hex')}${suffix}`);
  }

  async remove(file: string | undefined): Promise<void> {
    if (file) await rm(file, { force: true });
  }
}
