import { timingSafeEqual } from 'node:crypto';
import type { Knex } from '../../db/database.js';
import { WriteBatch } from '../../db/write-batch.js';
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

/** New tokens not yet written: the statements that store them, for the caller's WriteBatch. */
export interface PreparedTokens {
  issued: IssuedTokens;
  statements: string[];
  /** The access token's hash, for priming the cache once the statements are committed. */
  accessTokenHash: string;
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
  /** Counts what was forgotten: a lookup that began before must not cache what it read. */
  private forgotten = 0;

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
  prepare(userId: string, deviceId: string, refresh: boolean): PreparedTokens {
    const now = this.now();
    const accessToken = newSecret(ACCESS_PREFIX);
    const accessTokenHash = sha256Hex(accessToken);
    if (!refresh) {
      const statements = [tokens.insertAccessTokenSql({ token_hash: accessTokenHash, user_id: userId, device_id: deviceId, created_ts: now, expires_ts: null }, null)];
      return { issued: { access_token: accessToken }, statements, accessTokenHash };
    }
    const refreshToken = newSecret(REFRESH_PREFIX);
    const refreshTokenHash = sha256Hex(refreshToken);
    const lifetime = this.o.refreshableLifetimeMs;
    const statements = [
      tokens.insertRefreshTokenSql({ token_hash: refreshTokenHash, user_id: userId, device_id: deviceId, created_ts: now }),
      tokens.insertAccessTokenSql({ token_hash: accessTokenHash, user_id: userId, device_id: deviceId, created_ts: now, expires_ts: now + lifetime }, refreshTokenHash),
    ];
    return { issued: { access_token: accessToken, refresh_token: refreshToken, expires_in_ms: lifetime }, statements, accessTokenHash };
  }

  /** prepare, written inside the caller's transaction. */
  async issue(trx: Knex.Transaction, userId: string, deviceId: string, refresh: boolean): Promise<IssuedTokens> {
    const prepared = this.prepare(userId, deviceId, refresh);
    await new WriteBatch().add(...prepared.statements).runIn(trx);
    return prepared.issued;
  }

  /** The position of the forgetting: pass it to prime, taken before the tokens are written. */
  get generation(): number {
    return this.forgotten;
  }

  /**
   * Caches a token just written, from findAccessToken's row read in the transaction that wrote it,
   * so its first request needs no lookup. Nothing is cached when anything was forgotten since
   * `generation`: what was read may be out of date already.
   */
  prime(row: tokens.AccessTokenLookup, generation: number): void {
    if (generation !== this.forgotten || row.deactivated) return;
    this.remember(row.token_hash, this.entryOf(row, this.now()));
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
      const generation = this.forgotten;
      const row = await tokens.findAccessToken(this.o.db, hash);
      if (!row || !timingSafeEqual(Buffer.from(row.token_hash, 'hex'), Buffer.from(hash, 'hex'))) throw authErrors.unknownToken();
      if (row.deactivated) throw authErrors.unknownToken();
      entry = this.entryOf(row, now);
      if (generation === this.forgotten) this.remember(hash, entry);
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
    this.forgotten++;
    for (const [hash, e] of this.cache) if (e.requester.userId === userId) this.cache.delete(hash);
  }

  /** Drops cached tokens of one device, after its tokens were deleted in a WriteBatch. */
  forgetDevice(userId: string, deviceId: string): void {
    this.forgotten++;
    for (const [hash, e] of this.cache) if (e.requester.userId === userId && e.requester.deviceId === deviceId) this.cache.delete(hash);
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

  private entryOf(row: tokens.AccessTokenLookup, now: number): CachedToken {
    return {
      id: row.id,
      requester: { userId: row.user_id, deviceId: row.device_id, isAdmin: row.is_admin },
      expiresTs: row.expires_ts,
      refreshTokenId: row.refresh_token_id,
      used: row.used,
      locked: row.locked,
      cachedAt: now,
    };
  }

  private remember(hash: string, entry: CachedToken): void {
    this.cache.set(hash, entry);
    if (this.cache.size > CACHE_MAX) this.cache.delete(this.cache.keys().next().value!);
  }

  private forget(hashes: readonly string[]): void {
    this.forgotten++;
    for (const h of hashes) this.cache.delete(h);
  }
}
