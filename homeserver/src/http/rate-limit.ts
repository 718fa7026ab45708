import type { Context, Middleware } from 'koa';
import { errors } from './errors.js';
import { getRequester } from './auth.js';

export interface RateLimitOptions {
  /** Tokens added back per second. */
  perSecond: number;
  /** Bucket size: how many requests may come at once after a quiet spell. */
  burst: number;
  /**
   * Most keys remembered. A key whose bucket has refilled is the same as an unknown one, so
   * forgetting the least recently seen keys only ever errs towards letting a request through.
   */
  maxKeys?: number;
  now?: () => number;
}

interface Bucket {
  tokens: number;
  updated: number;
}

/**
 * Token buckets by key (an IP address, a user ID). Memory stays bounded: a Map in insertion
 * order serves as an LRU, and buckets that are full again are dropped on the way.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly maxKeys: number;
  private readonly now: () => number;

  constructor(private readonly options: RateLimitOptions) {
    this.maxKeys = options.maxKeys ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  /** Takes one token for `key`: 0 when allowed, else the milliseconds until one is available. */
  take(key: string): number {
    const now = this.now();
    const { perSecond, burst } = this.options;
    const bucket = this.buckets.get(key);
    let tokens = burst;
    if (bucket) {
      tokens = Math.min(burst, bucket.tokens + ((now - bucket.updated) / 1000) * perSecond);
      this.buckets.delete(key);
    }
    if (tokens < 1) {
      this.buckets.set(key, { tokens, updated: now });
      return Math.ceil(((1 - tokens) / perSecond) * 1000);
    }
    this.buckets.set(key, { tokens: tokens - 1, updated: now });
    this.evict(now);
    return 0;
  }

  /** Throws 429 M_LIMIT_EXCEEDED (with `retry_after_ms` and Retry-After) when `key` is over its limit. */
  check(key: string): void {
    const wait = this.take(key);
    if (wait > 0) throw errors.limitExceeded(wait);
  }

  get size(): number {
    return this.buckets.size;
  }

  private evict(now: number): void {
    if (this.buckets.size <= this.maxKeys) return;
    const { perSecond, burst } = this.options;
    // Full buckets cost nothing to forget.
    for (const [key, b] of this.buckets) {
      if (b.tokens + ((now - b.updated) / 1000) * perSecond >= burst) this.buckets.delete(key);
    }
    // Still too many: forget the least recently seen, rather than let a client with many
    // addresses grow the map without end. Down to 90% so the sweep above stays rare.
    const target = Math.floor(this.maxKeys * 0.9);
    for (const key of this.buckets.keys()) {
      if (this.buckets.size <= target) break;
      this.buckets.delete(key);
    }
  }
}

/** Rate limits a route by the client's address, or by whatever key `keyOf` picks. */
export function rateLimit(limiter: RateLimiter, keyOf: (ctx: Context) => string = (ctx) => ctx.ip): Middleware {
  return async (ctx, next) => {
    limiter.check(keyOf(ctx));
    await next();
  };
}

/** Key for per-user limits; the route must have requireAuth before the limiter. */
export const byUser = (ctx: Context): string => getRequester(ctx).userId;
