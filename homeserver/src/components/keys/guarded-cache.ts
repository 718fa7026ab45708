import { LruCache } from '../../util/lru.js';
import { pairKey } from '../../util/pair-key.js';

/**
 * A bounded cache of values read from the database, safe against a write racing a read: a value
 * is kept only when no invalidation happened between the start of its read and its arrival, so a
 * read that saw the database before a write can never hide that write. Writers invalidate after
 * their commit.
 */
export class GuardedCache<V> {
  private readonly entries: LruCache<string, V>;
  private generation = 0;

  constructor(capacity: number) {
    this.entries = new LruCache(capacity);
  }

  get(key: string): V | undefined {
    return this.entries.get(key);
  }

  async load(key: string, read: () => Promise<V>): Promise<V> {
    const hit = this.entries.get(key);
    if (hit !== undefined) return hit;
    const generation = this.generation;
    const value = await read();
    if (generation === this.generation) this.entries.set(key, value);
    return value;
  }

  /** Keeps `value` only if nothing was invalidated since `generation` (from mark()). */
  setIfUnchanged(key: string, value: V, generation: number): void {
    if (generation === this.generation) this.entries.set(key, value);
  }

  mark(): number {
    return this.generation;
  }

  invalidate(keys: Iterable<string>): void {
    this.generation++;
    for (const k of keys) this.entries.delete(k);
  }
}

export const deviceKey = (userId: string, deviceId: string): string => pairKey(userId, deviceId);
