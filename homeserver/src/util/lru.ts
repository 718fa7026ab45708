interface Slot<V> {
  value: V;
  /** The cache's clock when the entry last moved to the young end. */
  stamp: number;
}

/**
 * A bounded map that forgets the least recently used entry: every cache of hot data uses one.
 *
 * Moving an entry to the young end (a Map delete and re-insert) on every read was a visible cost
 * of sync's hot caches, read thousands of times a second. So a read moves only an entry that has
 * drifted into the older half of the cache; one that moved more recently than that still has at
 * least half the capacity of insertions to go before it could be evicted. Small caches stay
 * strictly least-recently-used.
 */
export class LruCache<K, V> {
  private readonly map = new Map<K, Slot<V>>();
  /** Counts moves to the young end: an entry's age is the clock minus its stamp. */
  private clock = 0;
  /** Reads of entries younger than this leave them where they are. */
  private readonly slack: number;

  constructor(private readonly capacity: number) {
    if (capacity < 1) throw new Error('LruCache capacity must be at least 1');
    this.slack = capacity >= 64 ? capacity >> 1 : 0;
  }

  get(key: K): V | undefined {
    const slot = this.map.get(key);
    if (slot === undefined) return undefined;
    if (this.clock - slot.stamp > this.slack) {
      // Re-inserting moves the key to the young end of Map's insertion order.
      this.map.delete(key);
      this.map.set(key, slot);
      slot.stamp = ++this.clock;
    }
    return slot.value;
  }

  set(key: K, value: V): void {
    this.map.delete(key);
    this.map.set(key, { value, stamp: ++this.clock });
    if (this.map.size > this.capacity) this.evictOldest();
  }

  /**
   * Every key before the iterator's position has been evicted or deleted, so its next key is the
   * oldest. A fresh `keys()` per eviction would start at the front and step over the holes that
   * deleted entries leave there until the table is next rebuilt: evictions into a full cache of
   * 100,000 entries took 2.4 s per 100,000 that way.
   */
  private evictOldest(): void {
    let oldest = this.oldest?.next();
    if (oldest === undefined || oldest.done) {
      this.oldest = this.map.keys();
      oldest = this.oldest.next();
    }
    if (!oldest.done) this.map.delete(oldest.value);
  }

  private oldest: Iterator<K> | undefined;

  delete(key: K): void {
    this.map.delete(key);
  }

  clear(): void {
    this.map.clear();
    this.oldest = undefined;
  }

  get size(): number {
    return this.map.size;
  }
}
