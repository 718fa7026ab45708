import type { Knex } from '../../../db/database.js';
import { sqlLiteral } from '../../../db/sql-literal.js';

export interface AccountRow {
  user_id: string;
  password_hash: string | null;
  is_admin: boolean;
  deactivated: boolean;
  erased: boolean;
  locked: boolean;
  user_type: string | null;
  created_ts: number;
}

const T = 'users_accounts';

/** The primary key: an account whose user ID is taken is refused on it. */
export const ACCOUNT_KEY = 'users_accounts_pkey';

export function toRow(r: Record<string, unknown>): AccountRow {
  return {
    user_id: String(r.user_id),
    password_hash: (r.password_hash as string | null) ?? null,
    is_admin: Boolean(r.is_admin),
    deactivated: Boolean(r.deactivated),
    erased: Boolean(r.erased),
    locked: Boolean(r.locked),
    user_type: (r.user_type as string | null) ?? null,
    created_ts: Number(r.created_ts),
  };
}

/**
 * A plain INSERT of a new account for a WriteBatch: a taken user ID fails the batch on ACCOUNT_KEY.
 * `adminIf`, an SQL condition, makes the account an admin as well.
 */
export function insertAccountSql(row: AccountRow, adminIf?: string): string {
  const admin = adminIf === undefined ? sqlLiteral(row.is_admin) : `(${sqlLiteral(row.is_admin)} OR ${adminIf})`;
  const values = [sqlLiteral(row.user_id), sqlLiteral(row.password_hash), admin, ...[row.deactivated, row.erased, row.locked, row.user_type, row.created_ts].map(sqlLiteral)];
  return `INSERT INTO ${T} (user_id, password_hash, is_admin, deactivated, erased, locked, user_type, created_ts) VALUES (${values.join(', ')})`;
}

/** The account row, as the last statement of a WriteBatch that wrote it. */
export function selectAccountSql(userId: string): string {
  return `SELECT * FROM ${T} WHERE user_id = ${sqlLiteral(userId)}`;
}

export async function getAccount(db: Knex, userId: string): Promise<AccountRow | undefined> {
  const r = (await db(T).where({ user_id: userId }).first()) as Record<string, unknown> | undefined;
  return r ? toRow(r) : undefined;
}

/** Which of these user IDs have an account (deactivated or not). */
export async function existingUserIds(db: Knex, userIds: readonly string[]): Promise<string[]> {
  if (userIds.length === 0) return [];
  return (await db(T).whereIn('user_id', [...userIds]).pluck('user_id')) as string[];
}

export async function anyAccountExists(db: Knex): Promise<boolean> {
  return (await db(T).select('user_id').first()) !== undefined;
}

export async function updateAccount(db: Knex, userId: string, patch: Partial<Omit<AccountRow, 'user_id' | 'created_ts'>>): Promise<void> {
  if (Object.keys(patch).length === 0) return;
  await db(T).where({ user_id: userId }).update(patch);
}

export interface ListOptions {
  from: number;
  limit: number;
  /** Substring of the localpart or the display name. */
  name?: string | undefined;
  /** Substring of the whole user ID (ignored when `name` is given, as in Synapse). */
  userId?: string | undefined;
  deactivated: 'include' | 'exclude' | 'only';
  admins?: boolean | undefined;
  orderBy: 'name' | 'admin' | 'deactivated' | 'displayname' | 'avatar_url' | 'creation_ts' | 'last_seen_ts' | 'user_type' | 'is_guest' | 'shadow_banned';
  direction: 'asc' | 'desc';
}

export interface ListedAccount extends AccountRow {
  displayname: string | null;
  avatar_url: string | null;
  last_seen_ts: number | null;
}

function likePattern(s: string): string {
  return `%${s.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** One page of accounts with their display name, avatar and last activity, and the total matching. */
export async function listAccounts(db: Knex, o: ListOptions): Promise<{ rows: ListedAccount[]; total: number }> {
  // Profile fields are jsonb; `->>` on the whole value (a JSON string) unwraps it to text.
  const base = db(`${T} as a`)
    .leftJoin('users_profiles as dn', (j) => j.on('dn.user_id', 'a.user_id').andOnVal('dn.field', 'displayname'))
    .leftJoin('users_profiles as av', (j) => j.on('av.user_id', 'a.user_id').andOnVal('av.field', 'avatar_url'));
  if (o.name !== undefined && o.name !== '') {
    const p = likePattern(o.name.toLowerCase());
    base.where((w) => w.whereRaw(`lower(split_part(substr(a.user_id, 2), ':', 1)) like ?`, [p]).orWhereRaw(`lower(dn.value #>> '{}') like ?`, [p]));
  } else if (o.userId !== undefined && o.userId !== '') {
    base.whereRaw('a.user_id like ?', [likePattern(o.userId)]);
  }
  if (o.deactivated === 'exclude') base.where('a.deactivated', false);
  if (o.deactivated === 'only') base.where('a.deactivated', true);
  if (o.admins !== undefined) base.where('a.is_admin', o.admins);

  const countRow = (await base.clone().count<{ n: string | number }[]>({ n: '*' }))[0];
  const total = Number(countRow?.n ?? 0);

  const lastSeen = db('users_devices').select('user_id').max({ last_seen_ts: 'last_seen_ts' }).groupBy('user_id').as('ls');
  const orderColumn: Record<ListOptions['orderBy'], string> = {
    name: 'a.user_id',
    admin: 'a.is_admin',
    deactivated: 'a.deactivated',
    displayname: 'displayname',
    avatar_url: 'avatar_url',
    creation_ts: 'a.created_ts',
    last_seen_ts: 'ls.last_seen_ts',
    user_type: 'a.user_type',
    is_guest: 'a.user_id',
    shadow_banned: 'a.user_id',
  };
  const rows = (await base
    .clone()
    .leftJoin(lastSeen, 'ls.user_id', 'a.user_id')
    .select('a.*', db.raw(`dn.value #>> '{}' as displayname`), db.raw(`av.value #>> '{}' as avatar_url`), 'ls.last_seen_ts')
    .orderBy(orderColumn[o.orderBy], o.direction)
    .orderBy('a.user_id', 'asc')
    .offset(o.from)
    .limit(o.limit)) as Array<Record<string, unknown>>;
  return {
    total,
    rows: rows.map((r) => ({
      ...toRow(r),
      displayname: (r.displayname as string | null) ?? null,
      avatar_url: (r.avatar_url as string | null) ?? null,
      last_seen_ts: r.last_seen_ts === null || r.last_seen_ts === undefined ? null : Number(r.last_seen_ts),
    })),
  };
}
