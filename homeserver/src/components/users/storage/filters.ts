import type { Knex } from '../../../db/database.js';

const T = 'users_filters';

export async function insertFilter(db: Knex, userId: string, filter: Record<string, unknown>): Promise<string> {
  const [r] = (await db(T).insert({ user_id: userId, filter: JSON.stringify(filter) }).returning('filter_id')) as Array<{ filter_id: number | string }>;
  return String(r!.filter_id);
}

export async function getFilter(db: Knex, userId: string, filterId: string): Promise<Record<string, unknown> | undefined> {
  if (!/^\d{1,15}$/.test(filterId)) return undefined;
  const r = (await db(T).where({ filter_id: Number(filterId), user_id: userId }).first('filter')) as { filter: Record<string, unknown> } | undefined;
  return r?.filter;
}
