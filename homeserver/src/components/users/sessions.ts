import { timingSafeEqual } from 'node:crypto';
import type { Knex } from '../../db/database.js';
import type { Logger } from '../../log/logger.js';
import { authErrors, type ClientInfo, type Requester } from '../../http/auth.js';
import { newSecret, sha256Hex } from './ids.js';
import * as tokens from './storage/tokens.js';
import { writeLastSeen, type LastSeen } from './storage/devices.js';

export interface IssuedTokens {
  access_token: string;
  refresh_token?: string;
  expires_in_ms?: number;
}

interface CachedToken {
  id: number;
  requester: Requester;
  expiresTs: number | null;
  refreshTokenId: number | null;
  used: boolean;
  locked: boolean;
  cachedAt: number;
}

const ACCESS_PREFIX = 'hat_';
const REFRESH_PREFIX = 'hrt_';
/** Hot tokens kept in memory; a bounded LRU. */
const CACHE_MAX = 10_000;
/** Bounds how long another process's logout can go unnoticed here. */
const CACHE_TTL_MS = 60_000;
/** Last-seen updates are written in batches at most this often, never once per request. */
const LAST_SEEN_FLUSH_MS = 10_000;

export interface SessionsOptions {
  db: Knex;
  log: Logger;
  /** Lifetime of access tokens issued with a refresh token. */
  refreshableLifetimeMs: number;
  now?: () => number;
}

/**
 * Access and refresh tokens: issuing, authenticating (with a cache of hot tokens), rotation, and
 * revocation; and the batched last-seen record of devices.
 */
export class Sessions {
  private readonly cache = new Map<string, CachedToken>();
  private readonly lastSeen = new Map<string, LastSeen>();
  private flushTimer: NodeJS.Timeout | undefined;
  private readonly now: () => number;

  constructor(private readonly o: SessionsOptions) {
    this.now = o.now ?? Date.now;
  }

  start(): void {
    this.flushTimer = setInterval(() => void this.flushLastSeen(), LAST_SEEN_FLUSH_MS);
    this.flushTimer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.flushTimer);
    await this.flushLastSeen();
  }

  /** New tokens for a device; with `refresh`, the access token expires and a refresh token comes along. */
  async issue(db: Knex, userId: string, deviceId: string, refresh: boolean): Promise<IssuedTokens> {
    const now = this.now();
    const accessToken = newSecret(ACCESS_PREFIX);
    if (!refresh) {
      await tokens.insertAccessToken(db, { token_hash: sha256Hex(accessToken), user_id: userId, device_id: deviceId, created_ts: now, expires_ts: null, refresh_token_id: null });
      return { access_token: accessToken };
    }
    const refreshToken = newSecret(REFRESH_PREFIX);
    const refreshId = await tokens.insertRefreshToken(db, { token_hash: sha256Hex(refreshToken), user_id: userId, device_id: deviceId, created_ts: now });
    const lifetime = this.o.refreshableLifetimeMs;
    await tokens.insertAccessToken(db, { token_hash: sha256Hex(accessToken), user_id: userId, device_id: deviceId, created_ts: now, expires_ts: now + lifetime, refresh_token_id: refreshId });
    return { access_token: accessToken, refresh_token: refreshToken, expires_in_ms: lifetime };
  }

  /** The requester of an access token, or 401 M_UNKNOWN_TOKEN (soft_logout when it expired). */
  async authenticate(accessToken: string, client: ClientInfo): Promise<Requester> {
    if (!accessToken.startsWith(ACCESS_PREFIX) || accessToken.length > 200) throw authErrors.unknownToken();
    const hash = sha256Hex(accessToken);
    const now = this.now();
    let entry = this.cache.get(hash);
    if (entry && now - entry.cachedAt > CACHE_TTL_MS) entry = undefined;
    if (entry) {
      this.cache.delete(hash);
      this.cache.set(hash, entry);
    } else {
      const row = await tokens.findAccessToken(this.o.db, hash);
      if (!row || !timingSafeEqual(Buffer.from(row.token_hash, 'hex'), Buffer.from(hash, 'hex'))) throw authErrors.unknownToken();
      if (row.deactivated) throw authErrors.unknownToken();
      entry = {
        id: row.id,
        requester: { userId: row.user_id, deviceId: row.device_id, isAdmin: row.is_admin },
        expiresTs: row.expires_ts,
        refreshTokenId: row.refresh_token_id,
        used: row.used,
        locked: row.locked,
        cachedAt: now,
      };
      this.remember(hash, entry);
    }
    if (entry.locked) throw authErrors.userLocked();
    if (entry.expiresTs !== null && entry.expiresTs <= now) throw authErrors.unknownToken(true);
    if (!entry.used) {
      entry.used = true;
      if (entry.refreshTokenId !== null && (await tokens.markAccessTokenUsed(this.o.db, entry.id))) {
        await this.retireParents(entry.refreshTokenId);
      }
    }
    this.noteSeen(entry.requester, client, now);
    return { ...entry.requester };
  }

  /**
   * Trades a refresh token for a new pair. The old refresh token keeps working until the new
   * access or refresh token is used (the client may have lost the answer); then it is revoked.
   */
  async refresh(refreshToken: string): Promise<IssuedTokens> {
    const db = this.o.db;
    const row = refreshToken.startsWith(REFRESH_PREFIX) ? await tokens.findRefreshToken(db, sha256Hex(refreshToken)) : undefined;
    if (!row) throw authErrors.unknownToken();
    return db.transaction(async (trx) => {
      if (row.replaced_by !== null) {
        const child = await tokens.getRefreshToken(trx, row.replaced_by);
        if (child && (child.replaced_by !== null || (await tokens.accessTokenOfRefreshTokenUsed(trx, child.id)))) {
          this.forget(await tokens.deleteRefreshTokens(trx, [row.id]));
          throw authErrors.unknownToken();
        }
        // The previous answer was never used: it is replaced by this one.
        if (child) this.forget(await tokens.deleteRefreshTokens(trx, [child.id]));
      }
      // Using a refresh token is using the pair it came with: its own predecessor is done.
      await this.retireParents(row.id, trx);
      const issued = await this.issue(trx, row.user_id, row.device_id, true);
      const next = await tokens.findRefreshToken(trx, sha256Hex(issued.refresh_token!));
      await tokens.setReplacedBy(trx, row.id, next!.id);
      return issued;
    });
  }

  /** Deletes all tokens of some devices, or of all devices but one. */
  async revokeDevices(db: Knex, userId: string, devices: readonly string[] | { allExcept?: string | undefined }): Promise<void> {
    this.forget(await tokens.deleteTokensOfDevices(db, userId, devices));
    // Cached entries of tokens deleted by another path (a refresh on another process) age out by TTL.
    if (!Array.isArray(devices)) {
      const except = (devices as { allExcept?: string }).allExcept;
      for (const [hash, e] of this.cache) if (e.requester.userId === userId && e.requester.deviceId !== except) this.cache.delete(hash);
    }
  }

  /** Drops cached tokens of a user, after their admin or lock status changed. */
  forgetUser(userId: string): void {
    for (const [hash, e] of this.cache) if (e.requester.userId === userId) this.cache.delete(hash);
  }

  /** Last-seen values not yet written, so device listings are current. */
  pendingLastSeen(userId: string, deviceId: string): LastSeen | undefined {
    return this.lastSeen.get(`${userId}|${deviceId}`);
  }

  async flushLastSeen(): Promise<void> {
    if (this.lastSeen.size === 0) return;
    const batch = [...this.lastSeen.values()];
    this.lastSeen.clear();
    try {
      for (let i = 0; i < batch.length; i += 500) await writeLastSeen(this.o.db, batch.slice(i, i + 500));
    } catch (err) {
      this.o.log.warn({ err }, 'could not record device last-seen times');
    }
  }

  private async retireParents(refreshTokenId: number, db: Knex = this.o.db): Promise<void> {
    const parents = await tokens.parentRefreshTokenIds(db, refreshTokenId);
    this.forget(await tokens.deleteRefreshTokens(db, parents));
  }

  private noteSeen(r: Requester, client: ClientInfo, now: number): void {
    const key = `${r.userId}|${r.deviceId}`;
    const prev = this.lastSeen.get(key);
    // Minute resolution is all anyone reads; skip the map churn in between.
    if (prev && now - prev.ts < 60_000 && prev.ip === client.ip) return;
    this.lastSeen.set(key, { userId: r.userId, deviceId: r.deviceId, ts: now, ip: client.ip, userAgent: client.userAgent ?? null });
  }

  private remember(hash: string, entry: CachedToken): void {
    this.cache.set(hash, entry);
    if (this.cache.size > CACHE_MAX) this.cache.delete(this.cache.keys().next().value!);
  }

  private forget(hashes: readonly string[]): void {
    for (const h of hashes) this.cache.delete(h);
  }
}
