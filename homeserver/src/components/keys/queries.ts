import type { JsonObject } from '../../core/json.js';
import type { ClaimedKeys, KeysQueryResult } from './api.js';
import { serverOf, type KeysContext } from './context.js';
import { withSignatures } from './key-format.js';
import { crossSigningKeysOf, visibleSignatures, type SignatureRow } from './storage/cross-signing.js';
import { deviceKeysOf } from './storage/device-keys.js';
import { claimFallbackKeys, claimOneTimeKeys, type ClaimRequest } from './storage/one-time-keys.js';

export type Failures = Record<string, JsonObject>;

/** How a server that did not answer shows in `failures` (status and message, as Synapse reports them). */
function failure(err: unknown): JsonObject {
  return { status: 503, message: err instanceof Error ? err.message : 'Not reachable' };
}

const NO_FEDERATION: JsonObject = { status: 503, message: 'Federation is not available on this server yet' };

/** Splits a request keyed by user ID into ours and, per server, theirs. */
function split<T>(k: KeysContext, byUser: Record<string, T>): { local: Record<string, T>; remote: Map<string, Record<string, T>> } {
  const local: Record<string, T> = {};
  const remote = new Map<string, Record<string, T>>();
  for (const [userId, v] of Object.entries(byUser)) {
    if (k.isLocal(userId)) local[userId] = v;
    else {
      const server = serverOf(userId);
      const forServer = remote.get(server) ?? {};
      forServer[userId] = v;
      remote.set(server, forServer);
    }
  }
  return { local, remote };
}

/** Runs a request to each remote server, each bounded by `timeoutMs`; a server that fails lands in `failures`. */
async function eachServer<T>(k: KeysContext, remote: Map<string, T>, timeoutMs: number, failures: Failures, ask: (server: string, request: T) => Promise<void>): Promise<void> {
  if (remote.size === 0) return;
  if (!k.federation()) {
    for (const server of remote.keys()) failures[server] = NO_FEDERATION;
    return;
  }
  await Promise.all(
    [...remote].map(async ([server, request]) => {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          ask(server, request),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error('Timed out')), timeoutMs);
          }),
        ]);
      } catch (err) {
        failures[server] = failure(err);
      } finally {
        clearTimeout(timer);
      }
    }),
  );
}

/** POST /keys/query. */
export async function queryKeys(k: KeysContext, viewer: string, request: Record<string, string[]>, timeoutMs: number): Promise<KeysQueryResult & { failures: Failures }> {
  const { local, remote } = split(k, request);
  const result = await queryLocalKeys(k, viewer, local);
  const failures: Failures = {};
  await eachServer(k, remote, timeoutMs, failures, async (server, req) => {
    const answer = await k.federation()!.queryKeys(server, req, timeoutMs);
    // A server speaks only for its own users.
    const own = <V>(m: Record<string, V> | undefined): Array<[string, V]> => Object.entries(m ?? {}).filter(([u]) => serverOf(u) === server && Object.hasOwn(req, u));
    for (const [u, v] of own(answer.device_keys)) result.device_keys[u] = v;
    for (const [u, v] of own(answer.master_keys)) result.master_keys[u] = v;
    for (const [u, v] of own(answer.self_signing_keys)) result.self_signing_keys[u] = v;
  });
  return { ...result, failures };
}

/**
 * Local users' keys as `viewer` may see them: every device that still exists with its identity
 * keys and display name; master and self-signing keys; the user-signing key only to its owner.
 * Four queries whatever the number of users.
 */
export async function queryLocalKeys(k: KeysContext, viewer: string | undefined, request: Record<string, string[]>): Promise<KeysQueryResult> {
  const userIds = Object.keys(request);
  const result: KeysQueryResult = { device_keys: {}, master_keys: {}, self_signing_keys: {}, user_signing_keys: {} };
  if (userIds.length === 0) return result;
  const [devices, keys, crossSigning, signatures] = await Promise.all([
    k.users.getDevicesOf(userIds),
    deviceKeysOf(k.db, userIds),
    crossSigningKeysOf(k.db, userIds),
    visibleSignatures(k.db, userIds, viewer ?? ''),
  ]);
  const sigsOn = new Map<string, SignatureRow[]>();
  for (const s of signatures) {
    const key = `${s.targetUserId}\u0000${s.targetKeyId}`;
    const list = sigsOn.get(key) ?? [];
    list.push(s);
    sigsOn.set(key, list);
  }
  for (const userId of userIds) {
    const wanted = request[userId]!.length > 0 ? new Set(request[userId]) : undefined;
    const out: Record<string, JsonObject> = {};
    const stored = keys.get(userId);
    for (const d of devices.get(userId) ?? []) {
      if (wanted && !wanted.has(d.deviceId)) continue;
      const dk = stored?.get(d.deviceId);
      if (!dk) continue;
      const signed = withSignatures(dk, sigsOn.get(`${userId}\u0000${d.deviceId}`));
      out[d.deviceId] = { ...signed, unsigned: d.displayName !== null ? { device_display_name: d.displayName } : {} };
    }
    result.device_keys[userId] = out;
    const cs = crossSigning.get(userId);
    const master = cs?.get('master');
    if (master) result.master_keys[userId] = withSignatures(master.key, sigsOn.get(`${userId}\u0000${master.publicKey}`));
    const ssk = cs?.get('self_signing');
    if (ssk) result.self_signing_keys[userId] = ssk.key;
    const usk = cs?.get('user_signing');
    if (usk && userId === viewer) result.user_signing_keys[userId] = usk.key;
  }
  return result;
}

/** POST /keys/claim. */
export async function claimKeys(k: KeysContext, request: Record<string, Record<string, string>>, timeoutMs: number): Promise<{ one_time_keys: ClaimedKeys; failures: Failures }> {
  const { local, remote } = split(k, request);
  const claimed = await claimLocalKeys(k, local);
  const failures: Failures = {};
  await eachServer(k, remote, timeoutMs, failures, async (server, req) => {
    const answer = await k.federation()!.claimKeys(server, req, timeoutMs);
    for (const [u, v] of Object.entries(answer)) if (serverOf(u) === server && Object.hasOwn(req, u)) claimed[u] = v;
  });
  return { one_time_keys: claimed, failures };
}

/**
 * A one-time key for each requested device and algorithm, oldest first; a device without one
 * gives its fallback key (which stays, marked used). Devices with neither are left out.
 */
export async function claimLocalKeys(k: KeysContext, request: Record<string, Record<string, string>>): Promise<ClaimedKeys> {
  const wanted: ClaimRequest[] = [];
  for (const [userId, byDevice] of Object.entries(request)) {
    for (const [deviceId, algorithm] of Object.entries(byDevice)) wanted.push({ userId, deviceId, algorithm });
  }
  const out: ClaimedKeys = {};
  if (wanted.length === 0) return out;
  const got = await claimOneTimeKeys(k.db, wanted);
  const served = new Set(got.map((c) => `${c.userId}\u0000${c.deviceId}`));
  const missing = wanted.filter((w) => !served.has(`${w.userId}\u0000${w.deviceId}`));
  if (missing.length > 0) got.push(...(await claimFallbackKeys(k.db, missing)));
  k.keyCounts.changed(got);
  for (const c of got) {
    const forUser = (out[c.userId] ??= {});
    forUser[c.deviceId] = { [`${c.algorithm}:${c.keyId}`]: JSON.parse(c.json) as JsonObject | string };
  }
  return out;
}
