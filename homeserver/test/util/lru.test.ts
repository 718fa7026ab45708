import test from 'ava';
import { LruCache } from '../../src/util/lru.js';

/** A strictly least-recently-used map, the obvious way: what a small LruCache must match. */
class Model {
  private order: number[] = [];
  private values = new Map<number, number>();
  constructor(private readonly capacity: number) {}
  get(k: number): number | undefined {
    if (!this.values.has(k)) return undefined;
    this.order = [...this.order.filter((x) => x !== k), k];
    return this.values.get(k);
  }
  set(k: number, v: number): void {
    this.order = [...this.order.filter((x) => x !== k), k];
    this.values.set(k, v);
    if (this.order.length > this.capacity) this.values.delete(this.order.shift()!);
  }
  delete(k: number): void {
    this.order = this.order.filter((x) => x !== k);
    this.values.delete(k);
  }
  clear(): void {
    this.order = [];
    this.values.clear();
  }
  get size(): number {
    return this.order.length;
  }
}

test('LruCache: a small cache matches a strict LRU through any mix of sets, reads, deletes and clears', (t) => {
  let seed = 12345;
  const random = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  for (const capacity of [1, 3, 17, 63]) {
    const cache = new LruCache<number, number>(capacity);
    const model = new Model(capacity);
    for (let i = 0; i < 20_000; i++) {
      const k = random(capacity * 3);
      const op = random(100);
      if (op < 45) {
        cache.set(k, i);
        model.set(k, i);
      } else if (op < 90) t.is(cache.get(k), model.get(k));
      else if (op < 99) {
        cache.delete(k);
        model.delete(k);
      } else {
        cache.clear();
        model.clear();
      }
      if (cache.size !== model.size) t.fail(`size ${cache.size} against ${model.size} after step ${i}`);
    }
    for (let k = 0; k < capacity * 3; k++) t.is(cache.get(k), model.get(k), `key ${k} at the end, capacity ${capacity}`);
  }
});

test('LruCache: filling a full cache again evicts in insertion order', (t) => {
  const n = 50_000;
  const cache = new LruCache<number, number>(n);
  for (let i = 0; i < n; i++) cache.set(i, i);
  for (let i = n; i < 2 * n; i++) {
    cache.set(i, i);
    // The oldest of the first fill goes first, one per insert.
    if (i % 5_000 === 0) t.is(cache.get(i - n), undefined);
  }
  t.is(cache.size, n);
  t.is(cache.get(n - 1), undefined);
  t.is(cache.get(2 * n - 1), 2 * n - 1);
});
