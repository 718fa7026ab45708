import type { JsonObject } from '../../core/json.js';
import { verifyJson } from '../../core/signing.js';
import { errors } from '../../http/errors.js';
import type { KeysContext } from './context.js';
import type { DeviceLists } from './device-lists.js';
import { withDefaultCount } from './key-counts.js';
import { isEd25519Key, keyErrors, sameJson, signedPart, withoutUnsigned } from './key-format.js';
import type { DeviceKeys, KeyObject } from './schemas.js';
import { getDeviceKeys, putDeviceKeys } from './storage/device-keys.js';
import { existingOneTimeKeys, insertOneTimeKeys, putFallbackKeys, type KeyRow } from './storage/one-time-keys.js';

export interface UploadRequest {
  device_keys?: DeviceKeys | undefined;
  one_time_keys?: Record<string, KeyObject> | undefined;
  fallback_keys?: Record<string, KeyObject> | undefined;
}

/**
 * POST /keys/upload for the requesting device: identity keys (signed by the device's own Ed25519
 * key; once published they cannot change), one-time keys and fallback keys (signed key objects
 * must carry a valid signature of the device). Answers the device's one-time key counts.
 */
export async function uploadKeys(k: KeysContext, deviceLists: DeviceLists, requester: { userId: string; deviceId: string }, body: UploadRequest): Promise<Record<string, number>> {
  const { userId, deviceId } = requester;
  const edKeyId = `ed25519:${deviceId}`;
  const stored = await getDeviceKeys(k.db, userId, deviceId);
  const storedEd = (stored?.keys as Record<string, unknown> | undefined)?.[edKeyId];
  let ed25519 = typeof storedEd === 'string' ? storedEd : undefined;

  let newDeviceKeys: JsonObject | undefined;
  if (body.device_keys) {
    const dk = body.device_keys;
    if (dk.user_id !== userId || dk.device_id !== deviceId) {
      throw errors.invalidParam('device_keys.user_id and device_id must be those of the device making the request');
    }
    const ed = dk.keys[edKeyId];
    if (!isEd25519Key(ed)) throw errors.invalidParam(`device_keys.keys must hold the device's ${edKeyId} key`);
    if (!verifyJson(dk, userId, edKeyId, ed)) throw keyErrors.invalidSignature(`device_keys are not signed by ${edKeyId}`);
    const clean = withoutUnsigned(dk) as JsonObject;
    if (stored) {
      if (!sameJson(stored.keys, dk.keys)) {
        throw errors.invalidParam('This device already published different identity keys; new keys need a new device (log in again)');
      }
      if (!sameJson(stored, clean)) newDeviceKeys = clean;
    } else newDeviceKeys = clean;
    ed25519 = ed;
  }

  const oneTime = keyRows(body.one_time_keys, 'one_time_keys', userId, edKeyId, ed25519);
  const fallback = keyRows(body.fallback_keys, 'fallback_keys', userId, edKeyId, ed25519);
  const algorithms = new Set<string>();
  for (const f of fallback) {
    if (algorithms.has(f.algorithm)) throw errors.invalidParam(`fallback_keys may hold one key per algorithm (${f.algorithm} twice)`);
    algorithms.add(f.algorithm);
  }

  // A key ID once used names that key: a retry may repeat it, a different key under it is refused.
  const existing = oneTime.length > 0 ? await existingOneTimeKeys(k.db, userId, deviceId, oneTime) : new Map<string, string>();
  const fresh: KeyRow[] = [];
  for (const row of oneTime) {
    const before = existing.get(`${row.algorithm}:${row.keyId}`);
    if (before === undefined) fresh.push(row);
    else if (!sameKey(before, row.json)) throw errors.invalidParam(`One-time key ${row.algorithm}:${row.keyId} already exists with different content`);
  }

  await k.db.transaction(async (trx) => {
    if (newDeviceKeys) await putDeviceKeys(trx, userId, deviceId, newDeviceKeys, k.now());
    if (fresh.length > 0) await insertOneTimeKeys(trx, userId, deviceId, fresh);
    if (fallback.length > 0) await putFallbackKeys(trx, userId, deviceId, fallback);
  });
  k.keyCounts.changed([requester]);
  if (newDeviceKeys) await deviceLists.keysChanged([{ userId, devices: { ids: [deviceId], deleted: false } }]);
  return withDefaultCount((await k.keyCounts.get(userId, deviceId)).counts);
}

/** Splits `<algorithm>:<key ID>` names and checks the signature of every signed key object. */
function keyRows(keys: Record<string, KeyObject> | undefined, field: string, userId: string, edKeyId: string, ed25519: string | undefined): KeyRow[] {
  if (!keys) return [];
  const rows: KeyRow[] = [];
  for (const [name, key] of Object.entries(keys)) {
    const colon = name.indexOf(':');
    if (colon <= 0 || colon === name.length - 1) throw errors.invalidParam(`${field}: ${JSON.stringify(name)} is not <algorithm>:<key ID>`);
    if (typeof key === 'object') {
      if (ed25519 === undefined) throw keyErrors.invalidSignature(`${field}: signed keys need the device's identity keys first`);
      if (!verifyJson(key, userId, edKeyId, ed25519)) throw keyErrors.invalidSignature(`${field}: ${name} is not signed by ${edKeyId}`);
    }
    rows.push({ algorithm: name.slice(0, colon), keyId: name.slice(colon + 1), json: JSON.stringify(key) });
  }
  return rows;
}

/** The same one-time key: equal apart from signatures (a new upload attempt may sign anew). */
function sameKey(beforeJson: string, afterJson: string): boolean {
  const before = JSON.parse(beforeJson) as unknown;
  const after = JSON.parse(afterJson) as unknown;
  if (typeof before !== 'object' || before === null || typeof after !== 'object' || after === null) return before === after;
  return sameJson(signedPart(before), signedPart(after));
}
