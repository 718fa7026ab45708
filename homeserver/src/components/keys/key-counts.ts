import type { Knex } from '../../db/database.js';
import { deviceKey, GuardedCache } from './guarded-cache.js';
import { keyCounts } from './storage/one-time-keys.js';

/** Counts as /keys/upload and sync report them: signed_curve25519 always, so clients see a zero. */
export function withDefaultCount(counts: Record<string, number>): Record<string, number> {
  return { signed_curve25519: 0, ...counts };
}

export interface DeviceKeyCounts {
  counts: Record<string, number>;
  unusedFallback: string[];
}

/**
 * Each device's one-time key counts and unused fallback algorithms, which every sync response
 * carries: cached, and dropped whenever an upload, a claim or a deletion changes them.
 */
export class KeyCounts {
  private readonly cache = new GuardedCache<DeviceKeyCounts>(50_000);

  constructor(private readonly db: Knex) {}

  get(userId: string, deviceId: string): Promise<DeviceKeyCounts> {
    return this.cache.load(deviceKey(userId, deviceId), () => keyCounts(this.db, userId, deviceId));
  }

  /** Call after the change is committed. */
  changed(devices: Iterable<{ userId: string; deviceId: string }>): void {
    this.cache.invalidate([...devices].map((d) => deviceKey(d.userId, d.deviceId)));
  }
}
