import type { Knex } from '../../../db/database.js';
import type { JsonObject } from '../../../core/json.js';

const T = 'keys_device_keys';

export async function getDeviceKeys(db: Knex, userId: string, deviceId: string): Promise<JsonObject | undefined> {
  const r = (await db(T).where({ user_id: userId, device_id: deviceId }).first('key_json')) as { key_json: string } | undefined;
  return r ? (JSON.parse(r.key_json) as JsonObject) : undefined;
}

/** Every stored device key of the users, by user then device. */
export async function deviceKeysOf(db: Knex, userIds: readonly string[]): Promise<Map<string, Map<string, JsonObject>>> {
  const out = new Map<string, Map<string, JsonObject>>();
  if (userIds.length === 0) return out;
  const rows = (await db(T).whereIn('user_id', [...userIds]).select('user_id', 'device_id', 'key_json')) as Array<{ user_id: string; device_id: string; key_json: string }>;
  for (const r of rows) {
    let m = out.get(r.user_id);
    if (!m) out.set(r.user_id, (m = new Map()));
    m.set(r.device_id, JSON.parse(r.key_json) as JsonObject);
  }
  return out;
}

export async function putDeviceKeys(db: Knex, userId: string, deviceId: string, keys: JsonObject, now: number): Promise<void> {
  await db(T)
    .insert({ user_id: userId, device_id: deviceId, key_json: JSON.stringify(keys), updated_ts: now })
    .onConflict(['user_id', 'device_id'])
    .merge(['key_json', 'updated_ts']);
}

/** Deletes the devices' identity keys; answers whether any existed. */
export async function deleteDeviceKeys(db: Knex, userId: string, deviceIds: readonly string[]): Promise<boolean> {
  if (deviceIds.length === 0) return false;
  const n = await db(T).where({ user_id: userId }).whereIn('device_id', [...deviceIds]).delete();
  return n > 0;
}
