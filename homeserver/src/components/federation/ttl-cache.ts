import { LruCache } from '../../util/lru.js';

/** A bounded cache whose entries also expire: discovery results live as long as DNS or HTTP says. */
export class TtlCache<K, V> {
  private readonly entries: LruCache<K, { value: V; expiresAt: number }>;

  constructor(
    capacity: number,
    private readonly now: () => number = Date.now,
  ) {
    this.entries = new LruCache(capacity);
  }

  get(key: K): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  set(key: K, value: V, ttlMs: number): void {
    this.entries.set(key, { value, expiresAt: this.now() + ttlMs });
  }

  delete(key: K): void {
    this.entries.delete(key);
  }
}

/** Runs one lookup per key at a time: callers asking while it runs share its result. */
export class SingleFlight<K, V> {
  private readonly running = new Map<K, Promise<V>>();

  /** Whether a lookup for the key is running now. */
  has(key: K): boolean {
    return this.running.has(key);
  }

  run(key: K, task: () => Promise<V>): Promise<V> {
    const existing = this.running.get(key);
    if (existing) return existing;
    const p = task().finally(() => this.running.delete(key));
    this.running.set(key, p);
    return p;
  }
}
