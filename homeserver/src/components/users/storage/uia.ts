import type { Knex } from '../../../db/database.js';
import { sqlLiteral } from '../../../db/sql-literal.js';

export interface UiaSessionRow {
  session_id: string;
  operation: string;
  user_id: string | null;
  completed: string[];
  registration_token: string | null;
  created_ts: number;
}

const T = 'users_uia_sessions';

export async function insertSession(db: Knex, row: UiaSessionRow): Promise<void> {
  await db(T).insert({ ...row, completed: JSON.stringify(row.completed) });
}

export async function getSession(db: Knex, sessionId: string): Promise<UiaSessionRow | undefined> {
  const r = (await db(T).where({ session_id: sessionId }).first()) as Record<string, unknown> | undefined;
  if (!r) return undefined;
  return {
    session_id: String(r.session_id),
    operation: String(r.operation),
    user_id: (r.user_id as string | null) ?? null,
    completed: (r.completed as string[]) ?? [],
    registration_token: (r.registration_token as string | null) ?? null,
    created_ts: Number(r.created_ts),
  };
}

export async function updateSession(db: Knex, sessionId: string, patch: { completed?: string[]; registration_token?: string | null }): Promise<void> {
  const row: Record<string, unknown> = {};
  if (patch.completed) row.completed = JSON.stringify(patch.completed);
  if (patch.registration_token !== undefined) row.registration_token = patch.registration_token;
  await db(T).where({ session_id: sessionId }).update(row);
}

export async function deleteSession(db: Knex, sessionId: string): Promise<void> {
  await db(T).where({ session_id: sessionId }).delete();
}

export function deleteSessionSql(sessionId: string): string {
  return `DELETE FROM ${T} WHERE session_id = ${sqlLiteral(sessionId)}`;
}

/** Deletes sessions created before `before`; returns the registration tokens they held. */
export async function deleteExpiredSessions(db: Knex, before: number): Promise<string[]> {
  const rows = (await db(T).where('created_ts', '<', before).delete().returning('registration_token')) as Array<{ registration_token: string | null }>;
  return rows.map((r) => r.registration_token).filter((t): t is string => t !== null);
}
