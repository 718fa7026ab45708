import type { Knex } from '../../../db/database.js';

const T = 'users_account_data';

export interface AccountDataChange {
  /** Null for global account data. */
  roomId: string | null;
  type: string;
  /** Null when the item was deleted. */
  content: Record<string, unknown> | null;
  streamId: number;
}

export async function getAccountData(db: Knex, userId: string, roomId: string | null, type: string): Promise<Record<string, unknown> | undefined> {
  const r = (await db(T).where({ user_id: userId, room_id: roomId ?? '', type }).first('content')) as { content: Record<string, unknown> | null } | undefined;
  return r?.content ?? undefined;
}

/**
 * Stores an item (null content records a deletion) and gives it the next stream position. The
 * position comes from the same sequence as new rows, so positions only grow.
 */
export async function putAccountData(db: Knex, userId: string, roomId: string | null, type: string, content: Record<string, unknown> | null): Promise<number> {
  const json = content === null ? null : JSON.stringify(content);
  const res = await db.raw(
    `INSERT INTO ${T} (user_id, room_id, type, content) VALUES (?, ?, ?, ?::jsonb)
     ON CONFLICT (user_id, room_id, type) DO UPDATE
       SET content = excluded.content, stream_id = nextval(pg_get_serial_sequence('${T}', 'stream_id'))
     RETURNING stream_id`,
    [userId, roomId ?? '', type, json],
  );
  return Number((res as { rows: Array<{ stream_id: number | string }> }).rows[0]!.stream_id);
}

/** What changed for a user after stream position `since`, oldest first. */
export async function accountDataSince(db: Knex, userId: string, since: number, limit?: number): Promise<AccountDataChange[]> {
  const q = db(T).where({ user_id: userId }).where('stream_id', '>', since).orderBy('stream_id').select('room_id', 'type', 'content', 'stream_id');
  if (limit !== undefined) q.limit(limit);
  const rows = (await q) as Array<{ room_id: string; type: string; content: Record<string, unknown> | null; stream_id: number | string }>;
  return rows.map((r) => ({ roomId: r.room_id === '' ? null : r.room_id, type: r.type, content: r.content, streamId: Number(r.stream_id) }));
}

export async function maxAccountDataStreamId(db: Knex): Promise<number> {
  const r = (await db(T).max({ m: 'stream_id' }))[0] as { m: number | string | null } | undefined;
  return Number(r?.m ?? 0);
}

export async function deleteAllAccountData(db: Knex, userId: string): Promise<void> {
  await db(T).where({ user_id: userId }).delete();
}
