import type { Knex } from '../../../db/database.js';
import { insertSql } from '../../../db/sql-literal.js';

export interface DeviceRow {
  user_id: string;
  device_id: string;
  display_name: string | null;
  created_ts: number;
  last_seen_ts: number | null;
  last_seen_ip: string | null;
  last_seen_user_agent: string | null;
}

const T = 'users_devices';

function toRow(r: Record<string, unknown>): DeviceRow {
  return {
    user_id: String(r.user_id),
    device_id: String(r.device_id),
    display_name: (r.display_name as string | null) ?? null,
    created_ts: Number(r.created_ts),
    last_seen_ts: r.last_seen_ts === null || r.last_seen_ts === undefined ? null : Number(r.last_seen_ts),
    last_seen_ip: (r.last_seen_ip as string | null) ?? null,
    last_seen_user_agent: (r.last_seen_user_agent as string | null) ?? null,
  };
}

/** The primary key: a device ID the user has already is refused on it. */
export const DEVICE_KEY = 'users_devices_pkey';

/**
 * A new device for a WriteBatch. A device ID the user has already fails the batch on DEVICE_KEY,
 * unless `orKeep`: then the device stays as it is.
 */
export function insertDeviceSql(userId: string, deviceId: string, displayName: string | null, now: number, orKeep: boolean): string {
  return insertSql(T, ['user_id', 'device_id', 'display_name', 'created_ts'], [[userId, deviceId, displayName, now]], orKeep ? 'ON CONFLICT (user_id, device_id) DO NOTHING' : '');
}

export async function listDevices(db: Knex, userId: string): Promise<DeviceRow[]> {
  const rows = (await db(T).where({ user_id: userId }).orderBy('created_ts')) as Array<Record<string, unknown>>;
  return rows.map(toRow);
}

export async function getDevice(db: Knex, userId: string, deviceId: string): Promise<DeviceRow | undefined> {
  const r = (await db(T).where({ user_id: userId, device_id: deviceId }).first()) as Record<string, unknown> | undefined;
  return r ? toRow(r) : undefined;
}

export async function setDeviceDisplayName(db: Knex, userId: string, deviceId: string, displayName: string | null): Promise<boolean> {
  const n = await db(T).where({ user_id: userId, device_id: deviceId }).update({ display_name: displayName });
  return n > 0;
}

/** Deletes devices; returns the IDs that existed. */
export async function deleteDevices(db: Knex, userId: string, deviceIds: readonly string[] | 'all'): Promise<string[]> {
  const q = db(T).where({ user_id: userId });
  if (deviceIds !== 'all') {
    if (deviceIds.length === 0) return [];
    q.whereIn('device_id', deviceIds);
  }
  const rows = (await q.delete().returning('device_id')) as Array<{ device_id: string }>;
  return rows.map((r) => r.device_id);
}

export interface LastSeen {
  userId: string;
  deviceId: string;
  ts: number;
  ip: string;
  userAgent: string | null;
}

/** Writes many devices' last activity in one statement. */
export async function writeLastSeen(db: Knex, entries: readonly LastSeen[]): Promise<void> {
  if (entries.length === 0) return;
  const values = entries.map(() => '(?, ?, ?::bigint, ?, ?)').join(', ');
  const bindings = entries.flatMap((e) => [e.userId, e.deviceId, e.ts, e.ip, e.userAgent]);
  await db.raw(
    `UPDATE ${T} AS d SET last_seen_ts = v.ts, last_seen_ip = v.ip, last_seen_user_agent = v.ua
     FROM (VALUES ${values}) AS v(user_id, device_id, ts, ip, ua)
     WHERE d.user_id = v.user_id AND d.device_id = v.device_id`,
    bindings,
  );
}
