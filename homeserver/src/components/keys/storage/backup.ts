import type { Knex } from '../../../db/database.js';
import type { JsonObject } from '../../../core/json.js';

const VERSIONS = 'keys_backup_versions';
const SESSIONS = 'keys_backup_sessions';

export interface BackupVersion {
  version: number;
  algorithm: string;
  authData: JsonObject;
  etag: number;
  count: number;
  deleted: boolean;
}

export interface BackedUpKey {
  first_message_index: number;
  forwarded_count: number;
  is_verified: boolean;
  session_data: JsonObject;
}

export interface SessionRow extends BackedUpKey {
  roomId: string;
  sessionId: string;
}

function toVersion(r: Record<string, unknown>): BackupVersion {
  return {
    version: Number(r.version),
    algorithm: String(r.algorithm),
    authData: JSON.parse(String(r.auth_data)) as JsonObject,
    etag: Number(r.etag),
    count: Number(r.count),
    deleted: r.deleted === true,
  };
}

function rowsOf(res: unknown): Array<Record<string, unknown>> {
  return (res as { rows: Array<Record<string, unknown>> }).rows;
}

/** The newest backup that is not deleted; `lock` holds it for the rest of the transaction. */
export async function currentVersion(db: Knex, userId: string, lock = false): Promise<BackupVersion | undefined> {
  const q = db(VERSIONS).where({ user_id: userId, deleted: false }).orderBy('version', 'desc').first();
  if (lock) q.forUpdate();
  const r = (await q) as Record<string, unknown> | undefined;
  return r ? toVersion(r) : undefined;
}

/** A backup version, deleted or not. */
export async function getVersion(db: Knex, userId: string, version: number): Promise<BackupVersion | undefined> {
  const r = (await db(VERSIONS).where({ user_id: userId, version }).first()) as Record<string, unknown> | undefined;
  return r ? toVersion(r) : undefined;
}

/**
 * Creates the next version, numbered above every earlier one (deleted ones included, so a number
 * never names two backups). Answers undefined when a concurrent creation took the number.
 */
export async function insertVersion(db: Knex, userId: string, algorithm: string, authData: JsonObject): Promise<number | undefined> {
  const res = await db.raw(
    `INSERT INTO ${VERSIONS} (user_id, version, algorithm, auth_data, etag, count, deleted)
     SELECT ?, COALESCE(MAX(version), 0) + 1, ?, ?, 0, 0, false FROM ${VERSIONS} WHERE user_id = ?
     ON CONFLICT (user_id, version) DO NOTHING
     RETURNING version`,
    [userId, algorithm, JSON.stringify(authData), userId],
  );
  const row = rowsOf(res)[0];
  return row ? Number(row.version) : undefined;
}

export async function updateAuthData(db: Knex, userId: string, version: number, authData: JsonObject): Promise<void> {
  await db(VERSIONS).where({ user_id: userId, version }).update({ auth_data: JSON.stringify(authData) });
}

export async function markDeleted(db: Knex, userId: string, version: number): Promise<void> {
  await db(VERSIONS).where({ user_id: userId, version }).update({ deleted: true, count: 0 });
  await db(SESSIONS).where({ user_id: userId, version }).delete();
}

export async function deleteAllBackups(db: Knex, userId: string): Promise<void> {
  await db(SESSIONS).where({ user_id: userId }).delete();
  await db(VERSIONS).where({ user_id: userId }).update({ deleted: true, count: 0 });
}

/**
 * Stores keys, each replacing a stored key of the same session only when it is better by the
 * spec's rule: verified beats unverified; then a lower first_message_index; then a lower
 * forwarded_count. The rule sits in the upsert itself, so concurrent uploads cannot undo it.
 * Answers how many sessions were new and how many changed in all.
 */
export async function putKeys(db: Knex, userId: string, version: number, rows: readonly SessionRow[]): Promise<{ inserted: number; changed: number }> {
  let inserted = 0;
  let changed = 0;
  for (let i = 0; i < rows.length; i += 1000) {
    const chunk = rows.slice(i, i + 1000);
    const values = chunk.map(() => '(?, ?::bigint, ?, ?, ?::bigint, ?::bigint, ?::boolean, ?)').join(', ');
    const res = await db.raw(
      `INSERT INTO ${SESSIONS} AS k (user_id, version, room_id, session_id, first_message_index, forwarded_count, is_verified, session_data)
       VALUES ${values}
       ON CONFLICT (user_id, version, room_id, session_id) DO UPDATE
         SET first_message_index = excluded.first_message_index, forwarded_count = excluded.forwarded_count,
             is_verified = excluded.is_verified, session_data = excluded.session_data
         WHERE (excluded.is_verified AND NOT k.is_verified)
            OR (excluded.is_verified = k.is_verified AND (
                  excluded.first_message_index < k.first_message_index
               OR (excluded.first_message_index = k.first_message_index AND excluded.forwarded_count < k.forwarded_count)))
       RETURNING (xmax = 0) AS inserted`,
      chunk.flatMap((r) => [userId, version, r.roomId, r.sessionId, r.first_message_index, r.forwarded_count, r.is_verified, JSON.stringify(r.session_data)]),
    );
    for (const r of rowsOf(res)) {
      changed++;
      if (r.inserted === true) inserted++;
    }
  }
  return { inserted, changed };
}

/** Stored keys of a version, optionally of one room or one session. */
export async function getKeys(db: Knex, userId: string, version: number, roomId?: string, sessionId?: string): Promise<SessionRow[]> {
  const q = db(SESSIONS).where({ user_id: userId, version }).select('room_id', 'session_id', 'first_message_index', 'forwarded_count', 'is_verified', 'session_data');
  if (roomId !== undefined) q.andWhere('room_id', roomId);
  if (sessionId !== undefined) q.andWhere('session_id', sessionId);
  const rows = (await q) as Array<Record<string, unknown>>;
  return rows.map((r) => ({
    roomId: String(r.room_id),
    sessionId: String(r.session_id),
    first_message_index: Number(r.first_message_index),
    forwarded_count: Number(r.forwarded_count),
    is_verified: r.is_verified === true,
    session_data: JSON.parse(String(r.session_data)) as JsonObject,
  }));
}

/** Deletes keys of a version (all, one room's, or one session's); answers how many went. */
export async function deleteKeys(db: Knex, userId: string, version: number, roomId?: string, sessionId?: string): Promise<number> {
  const q = db(SESSIONS).where({ user_id: userId, version });
  if (roomId !== undefined) q.andWhere('room_id', roomId);
  if (sessionId !== undefined) q.andWhere('session_id', sessionId);
  return q.delete();
}

/** Records a change of a version's keys: a new etag, and the count moved by `countDelta`. */
export async function touchVersion(db: Knex, userId: string, version: number, countDelta: number): Promise<{ etag: number; count: number }> {
  const res = await db.raw(
    `UPDATE ${VERSIONS} SET etag = etag + 1, count = GREATEST(0, count + ?::bigint) WHERE user_id = ? AND version = ? RETURNING etag, count`,
    [countDelta, userId, version],
  );
  const row = rowsOf(res)[0]!;
  return { etag: Number(row.etag), count: Number(row.count) };
}
