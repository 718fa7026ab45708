import type { Knex } from '../../../db/database.js';

const T = 'keys_device_list_versions';

/**
 * Takes the next `count` stream_ids of a local user's m.device_list_update sequence in one
 * statement (the row lock orders concurrent callers); answers the first of them.
 */
export async function takeDeviceListIds(db: Knex, userId: string, count: number): Promise<{ first: number }> {
  const rows = (await db(T)
    .insert({ user_id: userId, stream_id: count })
    .onConflict('user_id')
    .merge({ stream_id: db.raw('?? + ?', [`${T}.stream_id`, count]) })
    .returning('stream_id')) as Array<{ stream_id: number | string }>;
  const last = Number(rows[0]!.stream_id);
  return { first: last - count + 1 };
}

/** The stream_id of the user's latest m.device_list_update; 0 before the first. */
export async function currentDeviceListId(db: Knex, userId: string): Promise<number> {
  const row = (await db(T).select('stream_id').where('user_id', userId).first()) as { stream_id: number | string } | undefined;
  return Number(row?.stream_id ?? 0);
}
