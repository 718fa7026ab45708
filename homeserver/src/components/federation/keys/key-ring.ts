import { jsonSignatureJob, type SignatureJob } from '../../../core/signing.js';
import { isJsonObject } from '../../../core/json.js';
import type { Logger } from '../../../log/logger.js';
import { LruCache } from '../../../util/lru.js';
import type { KnownKey, RemoteKeyStore } from '../storage/remote-keys.js';
import { SingleFlight } from '../ttl-cache.js';
import type { ServerKeys } from './server-keys.js';
import { signaturePool } from './signature-pool.js';
import { yieldToEventLoop } from '../../../core/state-res/store.js';

/** Items encoded between two turns of the event loop. */
const YIELD_EVERY = 256;

/** One signature of an item by a key we hold; without a job it cannot verify. */
interface PlannedCheck {
  keyId: string;
  job: SignatureJob | undefined;
}

/** One signed object to check: `json` must carry a valid signature of `serverName` made at `atTs`. */
export interface SignedItem {
  serverName: string;
  /** The object as signed; for events, the redacted event (server-server "Validating hashes and signatures"). */
  json: object;
  /**
   * What the signatures cover, when the caller has it encoded already: the canonical JSON of
   * `json` without `signatures` and `unsigned` (for an event, core/event-encodings.ts's
   * `redactedBytes`). Only the `signatures` of `json` are read then, so the event as received
   * does as well as its redacted form.
   */
  signedBytes?: Buffer;
  /** When it was signed (an event's origin_server_ts; now for requests). */
  atTs: number;
  /** False for room versions 1–4, where a key's valid_until_ts is ignored. Default true. */
  enforceKeyValidity?: boolean;
}

export type SignatureCheck = { ok: true } | { ok: false; error: string };

/** A batch of checks handed over a chunk at a time (KeyRing.batch). */
export interface SignatureBatch {
  /** Starts checking `items` at once, alongside the chunks before; results in the same order. */
  check(items: readonly SignedItem[]): Promise<SignatureCheck[]>;
}

/** A server's keys by key ID. */
type Keys = Map<string, KnownKey>;

/** Where keys come from when the cache cannot answer. Each result has been checked already. */
export interface KeySource {
  /** The server's own `/_matrix/key/v2/server`. */
  direct(serverName: string): Promise<ServerKeys>;
  /** The configured notaries, asked for several servers at once; servers they could not vouch for are missing. */
  viaNotaries(wanted: ReadonlyMap<string, { keyIds: string[]; minimumValidUntilTs: number }>): Promise<ServerKeys[]>;
}

export interface KeyRingDeps {
  serverName: string;
  /** This server's current and old keys, never fetched. */
  ownKeys(): Map<string, KnownKey>;
  store: RemoteKeyStore;
  source: KeySource;
  log: Logger;
  now?: () => number;
  /** Servers whose keys are kept in memory; the database keeps the rest. */
  cacheSize?: number;
  /**
   * A server is asked for its keys at most this often when what we have does not do: forged
   * requests naming random key IDs must not make us fetch on every one.
   */
  refetchIntervalMs?: number;
}

const ED25519 = 'ed25519:';

export function keyValidAt(key: KnownKey, ts: number, enforceValidity: boolean): boolean {
  if (!enforceValidity) return true;
  if (key.expiredTs !== null) return ts < key.expiredTs;
  return ts <= key.validUntilTs;
}

/** Whether asking again could help: the key is unknown, or current but not valid that late. An old key that expired before `ts` will not get better by asking. */
function lacks(key: KnownKey | undefined, ts: number): boolean {
  return !key || (key.expiredTs === null && !keyValidAt(key, ts, true));
}

/** Key IDs of `serverName`'s ed25519 signatures on `json`. */
function signingKeyIds(json: object, serverName: string): string[] {
  const sigs = (json as Record<string, unknown>)['signatures'];
  if (!isJsonObject(sigs) || !Object.hasOwn(sigs, serverName)) return [];
  const forServer = sigs[serverName];
  return isJsonObject(forServer) ? Object.keys(forServer).filter((k) => k.startsWith(ED25519)) : [];
}

/**
 * Verify keys of other servers: from memory, then the database, then the server itself, then the
 * configured notaries. Checks signatures in batches, fetching each server's keys at most once per
 * batch.
 */
export class KeyRing {
  private readonly cache: LruCache<string, Map<string, KnownKey>>;
  private readonly lastFetch: LruCache<string, number>;
  private readonly fetches = new SingleFlight<string, void>();
  private readonly now: () => number;
  private readonly refetchIntervalMs: number;

  constructor(private readonly deps: KeyRingDeps) {
    this.cache = new LruCache(deps.cacheSize ?? 2000);
    this.lastFetch = new LruCache(deps.cacheSize ?? 2000);
    this.now = deps.now ?? Date.now;
    this.refetchIntervalMs = deps.refetchIntervalMs ?? 10_000;
  }

  /**
   * Checks each item (results in the same order). An item passes when `serverName` signed it with
   * at least one key valid at `atTs`, and every such signature verifies; signatures by keys we
   * cannot find, or that had expired by `atTs`, are skipped as the spec asks.
   */
  async verifySignatures(items: readonly SignedItem[]): Promise<SignatureCheck[]> {
    return this.check(items, await this.keysFor(items));
  }

  /**
   * verifySignatures for a batch too big to encode before checking starts (a join's tens of
   * thousands of events): the keys that all of `expected` need are fetched at once, each server's
   * once, as verifySignatures does, and each chunk given to `check` goes to the signature pool as
   * soon as those keys are at hand, to verify on other threads while the caller encodes the next.
   * `expected` are the batch's items, their `signedBytes` not needed yet: signatures of a server
   * none of them named count as by unknown keys.
   */
  batch(expected: readonly SignedItem[]): SignatureBatch {
    const keys = this.keysFor(expected);
    // Awaited by every chunk; a caller that never sends one must not leave its failure unhandled.
    keys.catch(() => undefined);
    return { check: async (items) => this.check(items, await keys) };
  }

  /** Fetches what `items` need and answers every key held for their servers. */
  private async keysFor(items: readonly SignedItem[]): Promise<Map<string, Keys>> {
    const wanted = new Map<string, Map<string, number>>();
    for (const item of items) {
      const enforce = item.enforceKeyValidity !== false;
      for (const keyId of signingKeyIds(item.json, item.serverName)) {
        let perServer = wanted.get(item.serverName);
        if (!perServer) wanted.set(item.serverName, (perServer = new Map()));
        perServer.set(keyId, Math.max(perServer.get(keyId) ?? 0, enforce ? item.atTs : 0));
      }
    }
    await this.ensure(wanted);
    const keysByServer = new Map<string, Keys>();
    await Promise.all([...wanted.keys()].map(async (s) => keysByServer.set(s, await this.known(s))));
    return keysByServer;
  }

  private async check(items: readonly SignedItem[], keysByServer: ReadonlyMap<string, Keys>): Promise<SignatureCheck[]> {
    const plans: PlannedCheck[][] = [];
    for (const item of items) {
      // Encoding a batch of thousands of events takes a while: let other work in between.
      if (plans.length > 0 && plans.length % YIELD_EVERY === 0) await yieldToEventLoop();
      plans.push(this.plan(item, keysByServer.get(item.serverName)));
    }
    const oks = await signaturePool.verify(plans.flatMap((checks) => checks.flatMap((c) => (c.job ? [c.job] : []))));
    let at = 0;
    return plans.map((checks, i) => {
      const item = items[i]!;
      let verified = 0;
      let failed: string | undefined;
      for (const c of checks) {
        const ok = c.job !== undefined && oks[at++] === true;
        if (!ok) failed ??= c.keyId;
        else verified++;
      }
      if (failed !== undefined) return { ok: false, error: `the signature of ${item.serverName} with ${failed} does not verify` };
      if (verified > 0) return { ok: true };
      return { ok: false, error: `no signature of ${item.serverName} by a known key valid at ${item.atTs}` };
    });
  }

  /** The public key `keyId` of `serverName` if it is valid at `atTs` (fetching when needed). */
  async verifyKey(serverName: string, keyId: string, atTs: number): Promise<string | undefined> {
    await this.ensure(new Map([[serverName, new Map([[keyId, atTs]])]]));
    const key = (await this.known(serverName)).get(keyId);
    return key && keyValidAt(key, atTs, true) ? key.publicKey : undefined;
  }

  /** All keys we hold for a server, valid or not. */
  async known(serverName: string): Promise<Map<string, KnownKey>> {
    if (serverName === this.deps.serverName) return this.deps.ownKeys();
    let keys = this.cache.get(serverName);
    if (!keys) {
      keys = await this.deps.store.keysOf(serverName);
      this.cache.set(serverName, keys);
    }
    return keys;
  }

  /** Fetches a server's keys from the server itself now and stores them (used by the notary). */
  async fetchDirect(serverName: string): Promise<ServerKeys> {
    this.lastFetch.set(serverName, this.now());
    const keys = await this.deps.source.direct(serverName);
    await this.remember([keys]);
    return keys;
  }

  /**
   * The signature checks an item needs: one per signature by a key we hold that is valid at the
   * item's time (others are skipped, as the spec asks). A check without a job cannot verify.
   */
  private plan(item: SignedItem, keys: Keys | undefined): PlannedCheck[] {
    const enforce = item.enforceKeyValidity !== false;
    const checks: PlannedCheck[] = [];
    for (const keyId of signingKeyIds(item.json, item.serverName)) {
      const key = keys?.get(keyId);
      if (!key || !keyValidAt(key, item.atTs, enforce)) continue;
      checks.push({ keyId, job: jsonSignatureJob(item.json, item.serverName, keyId, key.publicKey, item.signedBytes) });
    }
    return checks;
  }

  /** Fetches what the cache lacks: per server, key IDs and the latest time each must be valid at. */
  private async ensure(wanted: Map<string, Map<string, number>>): Promise<void> {
    const missing = new Map<string, { keyIds: string[]; minimumValidUntilTs: number }>();
    await Promise.all(
      [...wanted].map(async ([server, keyTimes]) => {
        if (server === this.deps.serverName) return;
        const known = await this.known(server);
        const lacking = [...keyTimes].filter(([keyId, ts]) => lacks(known.get(keyId), ts));
        if (lacking.length === 0) return;
        const last = this.lastFetch.get(server);
        // A fetch still running counts as not yet done: wait for it below rather than give up.
        if (last !== undefined && this.now() - last < this.refetchIntervalMs && !this.fetches.has(server)) return;
        missing.set(server, { keyIds: lacking.map(([k]) => k), minimumValidUntilTs: Math.max(...lacking.map(([, ts]) => ts)) });
      }),
    );
    if (missing.size === 0) return;
    const failed = new Map<string, { keyIds: string[]; minimumValidUntilTs: number }>();
    await Promise.all(
      [...missing].map(async ([server, need]) => {
        await this.fetches.run(server, async () => {
          try {
            await this.fetchDirect(server);
          } catch (err) {
            this.deps.log.info({ server, err: (err as Error).message }, 'fetching server keys directly failed');
          }
        });
        const known = await this.known(server);
        if (need.keyIds.some((k) => lacks(known.get(k), need.minimumValidUntilTs))) failed.set(server, need);
      }),
    );
    if (failed.size === 0) return;
    try {
      await this.remember(await this.deps.source.viaNotaries(failed));
    } catch (err) {
      this.deps.log.info({ servers: [...failed.keys()], err: (err as Error).message }, 'fetching server keys through notaries failed');
    }
  }

  private async remember(results: readonly ServerKeys[]): Promise<void> {
    const now = this.now();
    for (const keys of results) {
      await this.deps.store.store(keys, now);
      this.cache.delete(keys.serverName);
    }
  }
}
