import type { Knex } from '../../../db/database.js';
import { sqlLiteral } from '../../../db/sql-literal.js';

export interface RegistrationTokenRow {
  token: string;
  uses_allowed: number | null;
  pending: number;
  completed: number;
  expiry_time: number | null;
  grants_admin: boolean;
}

const T = 'users_registration_tokens';

function toRow(r: Record<string, unknown>): RegistrationTokenRow {
  return {
    token: String(r.token),
    uses_allowed: r.uses_allowed === null || r.uses_allowed === undefined ? null : Number(r.uses_allowed),
    pending: Number(r.pending),
    completed: Number(r.completed),
    expiry_time: r.expiry_time === null || r.expiry_time === undefined ? null : Number(r.expiry_time),
    grants_admin: Boolean(r.grants_admin),
  };
}

/** Valid: not expired and not all uses taken (pending uses count as taken). */
function whereValid(q: Knex.QueryBuilder, now: number): Knex.QueryBuilder {
  return q
    .where((w) => w.whereNull('expiry_time').orWhere('expiry_time', '>', now))
    .where((w) => w.whereNull('uses_allowed').orWhereRaw('pending + completed < uses_allowed'));
}

export async function listTokens(db: Knex, valid: boolean | undefined, now: number): Promise<RegistrationTokenRow[]> {
  const q = db(T).where({ grants_admin: false }).orderBy('token');
  if (valid === true) whereValid(q, now);
  if (valid === false) q.whereNot((w) => whereValid(w as unknown as Knex.QueryBuilder, now));
  return ((await q) as Array<Record<string, unknown>>).map(toRow);
}

export async function getToken(db: Knex, token: string): Promise<RegistrationTokenRow | undefined> {
  const r = (await db(T).where({ token }).first()) as Record<string, unknown> | undefined;
  return r ? toRow(r) : undefined;
}

export async function isTokenValid(db: Knex, token: string, now: number): Promise<boolean> {
  return (await whereValid(db(T).where({ token }), now).first('token')) !== undefined;
}

/** Inserts a token; false when it already exists. */
export async function insertToken(db: Knex, row: Omit<RegistrationTokenRow, 'pending' | 'completed'>): Promise<boolean> {
  const r = await db(T).insert({ ...row, pending: 0, completed: 0 }).onConflict('token').ignore().returning('token');
  return r.length === 1;
}

export async function updateToken(db: Knex, token: string, patch: { uses_allowed?: number | null; expiry_time?: number | null }): Promise<RegistrationTokenRow | undefined> {
  if (Object.keys(patch).length > 0) await db(T).where({ token }).update(patch);
  return getToken(db, token);
}

export async function deleteToken(db: Knex, token: string): Promise<boolean> {
  return (await db(T).where({ token }).delete()) > 0;
}

/** Takes one pending use if the token is valid now, atomically; false when it is not. */
export async function claimPendingUse(db: Knex, token: string, now: number): Promise<boolean> {
  const n = await whereValid(db(T).where({ token }), now).increment('pending', 1);
  return Number(n) > 0;
}

/** A pending use became a registration: for the WriteBatch that makes the account. */
export function completeUseSql(token: string): string {
  return `UPDATE ${T} SET pending = greatest(pending - 1, 0), completed = completed + 1 WHERE token = ${sqlLiteral(token)}`;
}

/** An SQL condition: the token exists and makes whoever registers with it an admin. */
export function grantsAdminSql(token: string): string {
  return `EXISTS (SELECT 1 FROM ${T} WHERE token = ${sqlLiteral(token)} AND grants_admin)`;
}

/** A pending use was abandoned (its session expired). */
export async function releasePendingUse(db: Knex, token: string): Promise<void> {
  await db(T).where({ token }).update({ pending: db.raw('greatest(pending - 1, 0)') });
}

export async function deleteAdminTokens(db: Knex): Promise<void> {
  await db(T).where({ grants_admin: true }).delete();
}

export function deleteAdminTokensSql(): string {
  return `DELETE FROM ${T} WHERE grants_admin`;
}

export async function findAdminToken(db: Knex): Promise<RegistrationTokenRow | undefined> {
  const r = (await db(T).where({ grants_admin: true }).first()) as Record<string, unknown> | undefined;
  return r ? toRow(r) : undefined;
}
