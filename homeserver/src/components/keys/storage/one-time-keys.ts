import type { Knex } from '../../../db/database.js';

const OTK = 'keys_one_time';
const FALLBACK = 'keys_fallback';

export interface KeyRow {
  algorithm: string;
  keyId: string;
  /** The key as uploaded, JSON text. */
  json: string;
}

export interface ClaimRequest {
  userId: string;
  deviceId: string;
  algorithm: string;
}

export interface ClaimedKey extends ClaimRequest {
  keyId: string;
  json: string;
}

const CHUNK = 1000;

function rowsOf(res: unknown): Array<Record<string, unknown>> {
  return (res as { rows: Array<Record<string, unknown>> }).rows;
}

/** The stored one-time keys of a device among `keys`, by `<algorithm>:<key ID>`. */
export async function existingOneTimeKeys(db: Knex, userId: string, deviceId: string, keys: readonly KeyRow[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (let i = 0; i < keys.length; i += CHUNK) {
    const chunk = keys.slice(i, i + CHUNK);
    const rows = (await db(OTK)
      .where({ user_id: userId, device_id: deviceId })
      .whereIn(['algorithm', 'key_id'], chunk.map((k) => [k.algorithm, k.keyId]))
      .select('algorithm', 'key_id', 'key_json')) as Array<{ algorithm: string; key_id: string; key_json: string }>;
    for (const r of rows) out.set(`${r.algorithm}:${r.key_id}`, r.key_json);
  }
  return out;
}

/** Adds one-time keys; one already there (a retried upload) is left as it is. */
export async function insertOneTimeKeys(db: Knex, userId: string, deviceId: string, keys: readonly KeyRow[]): Promise<void> {
  for (let i = 0; i < keys.length; i += CHUNK) {
    const chunk = keys.slice(i, i + CHUNK).map((k) => ({ user_id: userId, device_id: deviceId, algorithm: k.algorithm, key_id: k.keyId, key_json: k.json }));
    await db(OTK).insert(chunk).onConflict(['user_id', 'device_id', 'algorithm', 'key_id']).ignore();
  }
}

/** Unclaimed one-time keys of a device by algorithm, and the algorithms of its unused fallback keys. */
export async function keyCounts(db: Knex, userId: string, deviceId: string): Promise<{ counts: Record<string, number>; unusedFallback: string[] }> {
  const res = await db.raw(
    `SELECT algorithm, count(*) AS n, false AS fallback FROM ${OTK} WHERE user_id = ? AND device_id = ? GROUP BY algorithm
     UNION ALL
     SELECT algorithm, 0 AS n, true AS fallback FROM ${FALLBACK} WHERE user_id = ? AND device_id = ? AND NOT used`,
    [userId, deviceId, userId, deviceId],
  );
  const counts: Record<string, number> = {};
  const unusedFallback: string[] = [];
  for (const r of rowsOf(res)) {
    if (r.fallback === true) unusedFallback.push(String(r.algorithm));
    else counts[String(r.algorithm)] = Number(r.n);
  }
  return { counts, unusedFallback: unusedFallback.sort() };
}

/**
 * Stores fallback keys, one per algorithm. The same key uploaded again keeps its used flag (a
 * retried request must not make a used key look fresh); a different one replaces it, unused.
 */
export async function putFallbackKeys(db: Knex, userId: string, deviceId: string, keys: readonly KeyRow[]): Promise<void> {
  if (keys.length === 0) return;
  const values = keys.map(() => '(?, ?, ?, ?, ?, false)').join(', ');
  await db.raw(
    `INSERT INTO ${FALLBACK} AS f (user_id, device_id, algorithm, key_id, key_json, used) VALUES ${values}
     ON CONFLICT (user_id, device_id, algorithm) DO UPDATE
       SET key_id = excluded.key_id, key_json = excluded.key_json,
           used = CASE WHEN f.key_id = excluded.key_id AND f.key_json = excluded.key_json THEN f.used ELSE false END`,
    keys.flatMap((k) => [userId, deviceId, k.algorithm, k.keyId, k.json]),
  );
}

/**
 * Claims the oldest one-time key of each requested device and algorithm, all in one statement.
 * Rows another claim holds are skipped rather than waited for, so two claims never get one key.
 */
export async function claimOneTimeKeys(db: Knex, requests: readonly ClaimRequest[]): Promise<ClaimedKey[]> {
  const out: ClaimedKey[] = [];
  for (let i = 0; i < requests.length; i += CHUNK) {
    const chunk = requests.slice(i, i + CHUNK);
    const values = chunk.map(() => '(?, ?, ?)').join(', ');
    const res = await db.raw(
      `WITH req(user_id, device_id, algorithm) AS (VALUES ${values}),
       picked AS (
         SELECT k.user_id, k.device_id, k.algorithm, k.key_id FROM req
         CROSS JOIN LATERAL (
           SELECT user_id, device_id, algorithm, key_id FROM ${OTK} t
           WHERE t.user_id = req.user_id AND t.device_id = req.device_id AND t.algorithm = req.algorithm
           ORDER BY t.seq LIMIT 1 FOR UPDATE SKIP LOCKED
         ) k
       )
       DELETE FROM ${OTK} o USING picked p
       WHERE o.user_id = p.user_id AND o.device_id = p.device_id AND o.algorithm = p.algorithm AND o.key_id = p.key_id
       RETURNING o.user_id, o.device_id, o.algorithm, o.key_id, o.key_json`,
      chunk.flatMap((r) => [r.userId, r.deviceId, r.algorithm]),
    );
    for (const r of rowsOf(res)) {
      out.push({ userId: String(r.user_id), deviceId: String(r.device_id), algorithm: String(r.algorithm), keyId: String(r.key_id), json: String(r.key_json) });
    }
  }
  return out;
}

/** Hands out the fallback keys of the requested devices and algorithms, marking them used. */
export async function claimFallbackKeys(db: Knex, requests: readonly ClaimRequest[]): Promise<ClaimedKey[]> {
  const out: ClaimedKey[] = [];
  for (let i = 0; i < requests.length; i += CHUNK) {
    const chunk = requests.slice(i, i + CHUNK);
    const values = chunk.map(() => '(?, ?, ?)').join(', ');
    const res = await db.raw(
      `UPDATE ${FALLBACK} f SET used = true
       FROM (VALUES ${values}) AS req(user_id, device_id, algorithm)
       WHERE f.user_id = req.user_id AND f.device_id = req.device_id AND f.algorithm = req.algorithm
       RETURNING f.user_id, f.device_id, f.algorithm, f.key_id, f.key_json`,
      chunk.flatMap((r) => [r.userId, r.deviceId, r.algorithm]),
    );
    for (const r of rowsOf(res)) {
      out.push({ userId: String(r.user_id), deviceId: String(r.device_id), algorithm: String(r.algorithm), keyId: String(r.key_id), json: String(r.key_json) });
    }
  }
  return out;
}

export async function deleteDeviceOneTimeKeys(db: Knex, userId: string, deviceIds: readonly string[]): Promise<void> {
  if (deviceIds.length === 0) return;
  await db(OTK).where({ user_id: userId }).whereIn('device_id', [...deviceIds]).delete();
  await db(FALLBACK).where({ user_id: userId }).whereIn('device_id', [...deviceIds]).delete();
}
