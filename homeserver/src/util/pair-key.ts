/**
 * One string per pair of strings, `a` NUL `b`, made once and handed out again: the caches that
 * sync reads per room and user (or per user and device) are keyed by such pairs, thousands of
 * times a second. A freshly concatenated key has to be flattened and hashed again at every
 * lookup; the same string object keeps its hash, which made a lookup about four times cheaper.
 */
export class PairKeys {
  private readonly byFirst = new Map<string, Map<string, string>>();
  private count = 0;

  /** `limit`: past this many pairs, everything is forgotten and made again as asked. */
  constructor(private readonly limit = 200_000) {}

  key(a: string, b: string): string {
    let inner = this.byFirst.get(a);
    const made = inner?.get(b);
    if (made !== undefined) return made;
    if (this.count >= this.limit) {
      this.clear();
      inner = undefined;
    }
    if (inner === undefined) {
      inner = new Map();
      this.byFirst.set(a, inner);
    }
    const k = `${a}\u0000${b}`;
    inner.set(b, k);
    this.count++;
    return k;
  }

  /** Pairs held now. */
  get size(): number {
    return this.count;
  }

  private clear(): void {
    this.byFirst.clear();
    this.count = 0;
  }
}

/** The process's pair keys: one table, so the same pair is the same string in every cache. */
export const pairKeys = new PairKeys();

export const pairKey = (a: string, b: string): string => pairKeys.key(a, b);
