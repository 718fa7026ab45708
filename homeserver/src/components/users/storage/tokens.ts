import type { Knex } from '../../../db/database.js';
import { insertSql, sqlLiteral } from '../../../db/sql-literal.js';

export interface AccessTokenLookup {
  id: number;
  token_hash: string;
  user_id: string;
  device_id: string;
  expires_ts: number | null;
  refresh_token_id: number | null;
  used: boolean;
  is_admin: boolean;
  deactivated: boolean;
  locked: boolean;
}

export interface RefreshTokenRow {
  id: number;
  token_hash: string;
  user_id: string;
  device_id: string;
  replaced_by: number | null;
}

const AT = 'users_access_tokens';
const RT = 'users_refresh_tokens';

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

const LOOKUP_COLUMNS = ['t.id', 't.token_hash', 't.user_id', 't.device_id', 't.expires_ts', 't.refresh_token_id', 't.used', 'a.is_admin', 'a.deactivated', 'a.locked'];

/** An access token with what authentication needs of its account, in one query. */
export async function findAccessToken(db: Knex, tokenHash: string): Promise<AccessTokenLookup | undefined> {
  const r = (await db(`${AT} as t`)
    .join('users_accounts as a', 'a.user_id', 't.user_id')
    .where('t.token_hash', tokenHash)
    .first(...LOOKUP_COLUMNS)) as Record<string, unknown> | undefined;
  return r ? accessTokenLookupOf(r) : undefined;
}

/** findAccessToken's query as the last statement of the WriteBatch that issues the token. */
export function findAccessTokenSql(tokenHash: string): string {
  return `SELECT ${LOOKUP_COLUMNS.join(', ')} FROM ${AT} AS t JOIN users_accounts AS a ON a.user_id = t.user_id WHERE t.token_hash = ${sqlLiteral(tokenHash)}`;
}

export function accessTokenLookupOf(r: Record<string, unknown>): AccessTokenLookup {
  return {
    id: Number(r.id),
    token_hash: String(r.token_hash),
    user_id: String(r.user_id),
    device_id: String(r.device_id),
    expires_ts: num(r.expires_ts),
    refresh_token_id: num(r.refresh_token_id),
    used: Boolean(r.used),
    is_admin: Boolean(r.is_admin),
    deactivated: Boolean(r.deactivated),
    locked: Boolean(r.locked),
  };
}

/**
 * A new access token for a WriteBatch; with `refreshTokenHash`, paired with the refresh token
 * of that hash, inserted before it in the same batch.
 */
export function insertAccessTokenSql(
  row: { token_hash: string; user_id: string; device_id: string; created_ts: number; expires_ts: number | null },
  refreshTokenHash: string | null,
): string {
  const refreshId = refreshTokenHash === null ? 'NULL' : `(SELECT id FROM ${RT} WHERE token_hash = ${sqlLiteral(refreshTokenHash)})`;
  const values = [row.token_hash, row.user_id, row.device_id, row.created_ts, row.expires_ts].map(sqlLiteral);
  return `INSERT INTO ${AT} (token_hash, user_id, device_id, created_ts, expires_ts, refresh_token_id) VALUES (${values.join(', ')}, ${refreshId})`;
}

export function insertRefreshTokenSql(row: { token_hash: string; user_id: string; device_id: string; created_ts: number }): string {
  return insertSql(RT, ['token_hash', 'user_id', 'device_id', 'created_ts'], [[row.token_hash, row.user_id, row.device_id, row.created_ts]]);
}

/** deleteTokensOfDevices for one device, for a WriteBatch. */
export function deleteTokensOfDeviceSql(userId: string, deviceId: string): string[] {
  const where = `WHERE user_id = ${sqlLiteral(userId)} AND device_id = ${sqlLiteral(deviceId)}`;
  return [`DELETE FROM ${AT} ${where}`, `DELETE FROM ${RT} ${where}`];
}

export async function findRefreshToken(db: Knex, tokenHash: string): Promise<RefreshTokenRow | undefined> {
  const r = (await db(RT).where({ token_hash: tokenHash }).first()) as Record<string, unknown> | undefined;
  return r ? toRefresh(r) : undefined;
}

export async function getRefreshToken(db: Knex, id: number): Promise<RefreshTokenRow | undefined> {
  const r = (await db(RT).where({ id }).first()) as Record<string, unknown> | undefined;
  return r ? toRefresh(r) : undefined;
}

function toRefresh(r: Record<string, unknown>): RefreshTokenRow {
  return { id: Number(r.id), token_hash: String(r.token_hash), user_id: String(r.user_id), device_id: String(r.device_id), replaced_by: num(r.replaced_by) };
}

export async function setReplacedBy(db: Knex, id: number, replacedBy: number): Promise<void> {
  await db(RT).where({ id }).update({ replaced_by: replacedBy });
}

export async function accessTokenOfRefreshTokenUsed(db: Knex, refreshTokenId: number): Promise<boolean> {
  return (await db(AT).where({ refresh_token_id: refreshTokenId, used: true }).first('id')) !== undefined;
}

/** Marks an access token used; true the first time only, so concurrent requests retire once. */
export async function markAccessTokenUsed(db: Knex, id: number): Promise<boolean> {
  return (await db(AT).where({ id, used: false }).update({ used: true })) > 0;
}

/** Deletes refresh tokens by ID with the access tokens issued alongside them; returns the access token hashes. */
export async function deleteRefreshTokens(db: Knex, ids: readonly number[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const gone = (await db(AT).whereIn('refresh_token_id', ids).delete().returning('token_hash')) as Array<{ token_hash: string }>;
  await db(RT).whereIn('id', ids).delete();
  return gone.map((r) => r.token_hash);
}

/** The refresh token whose replacement is `id`: the one retired once `id`'s pair is used. */
export async function parentRefreshTokenIds(db: Knex, id: number): Promise<number[]> {
  const rows = (await db(RT).where({ replaced_by: id }).select('id')) as Array<{ id: number | string }>;
  return rows.map((r) => Number(r.id));
}

/**
 * Deletes every access and refresh token of some devices (or of all devices but `allExcept`);
 * returns the access token hashes so caches can forget them.
 */
export async function deleteTokensOfDevices(db: Knex, userId: string, devices: readonly string[] | { allExcept?: string | undefined }): Promise<string[]> {
  const list = Array.isArray(devices) ? (devices as readonly string[]) : undefined;
  const except = list ? undefined : (devices as { allExcept?: string }).allExcept;
  if (list?.length === 0) return [];
  const scope = (q: Knex.QueryBuilder): Knex.QueryBuilder => {
    q.where({ user_id: userId });
    if (list) q.whereIn('device_id', [...list]);
    else if (except !== undefined) q.whereNot('device_id', except);
    return q;
  };
  const gone = (await scope(db(AT)).delete().returning('token_hash')) as Array<{ token_hash: string }>;
  await scope(db(RT)).delete();
  return gone.map((r) => r.token_hash);
}
