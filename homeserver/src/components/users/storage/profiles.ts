import type { Knex } from '../../../db/database.js';
import { insertSql, sqlLiteral } from '../../../db/sql-literal.js';
import { WriteBatch } from '../../../db/write-batch.js';

const T = 'users_profiles';

export type ProfileFields = Record<string, unknown>;

export async function getProfile(db: Knex, userId: string): Promise<ProfileFields> {
  const rows = (await db(T).where({ user_id: userId }).select('field', 'value')) as Array<{ field: string; value: unknown }>;
  return Object.fromEntries(rows.map((r) => [r.field, r.value]));
}

/** Several users' displayname and avatar_url in one query. */
export async function getProfiles(db: Knex, userIds: readonly string[]): Promise<Map<string, ProfileFields>> {
  const out = new Map<string, ProfileFields>();
  if (userIds.length === 0) return out;
  const rows = (await db(T).whereIn('user_id', userIds as string[]).select('user_id', 'field', 'value')) as Array<{ user_id: string; field: string; value: unknown }>;
  for (const r of rows) {
    let p = out.get(r.user_id);
    if (!p) out.set(r.user_id, (p = {}));
    p[r.field] = r.value;
  }
  return out;
}

// Profile writes are on the path of requests (display names), and go straight to the driver:
// knex's builder costs more than the statement.
export async function setProfileField(db: Knex, userId: string, field: string, value: unknown): Promise<void> {
  await new WriteBatch().add(setProfileFieldSql(userId, field, value)).commit(db);
}

/** setProfileField for a WriteBatch. */
export function setProfileFieldSql(userId: string, field: string, value: unknown): string {
  return insertSql(T, ['user_id', 'field', 'value'], [[userId, field, JSON.stringify(value)]], 'ON CONFLICT (user_id, field) DO UPDATE SET value = excluded.value');
}

export async function deleteProfileField(db: Knex, userId: string, field: string): Promise<void> {
  await new WriteBatch().add(`DELETE FROM ${T} WHERE user_id = ${sqlLiteral(userId)} AND field = ${sqlLiteral(field)}`).commit(db);
}

export async function deleteProfile(db: Knex, userId: string): Promise<void> {
  await db(T).where({ user_id: userId }).delete();
}
