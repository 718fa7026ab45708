import type { Knex } from '../../../db/database.js';
import { insertSql } from '../../../db/sql-literal.js';
import { WriteBatch } from '../../../db/write-batch.js';

const T = 'keys_device_list_changes';

export type ChangeKind = 'keys' | 'join' | 'leave';

export interface DeviceListChange {
  userId: string;
  kind: ChangeKind;
  roomId: string | null;
  visibleTo: string | null;
}

/** Every membership change writes here: one WriteBatch, straight to the driver, however many rows. */
export async function insertChanges(db: Knex, streamIds: readonly number[], changes: readonly DeviceListChange[]): Promise<void> {
  if (changes.length === 0) return;
  const rows = changes.map((c, i) => [streamIds[i]!, c.userId, c.kind, c.roomId, c.visibleTo]);
  const batch = new WriteBatch();
  for (let i = 0; i < rows.length; i += 1000) batch.add(insertSql(T, ['stream_id', 'user_id', 'kind', 'room_id', 'visible_to'], rows.slice(i, i + 1000)));
  await batch.commit(db);
}

/**
 * The distinct changes in (from, to] that may concern `viewer`: key changes anyone may see or
 * only the viewer may, the viewer's own joins and leaves, and joins and leaves in `rooms` (the
 * viewer's rooms). Whose key changes matter is decided by the caller, who knows who shares a room.
 */
export async function changesBetween(db: Knex, from: number, to: number, viewer: string, rooms: readonly string[]): Promise<DeviceListChange[]> {
  const rows = (await db(T)
    .distinct('user_id', 'kind', 'room_id', 'visible_to')
    .where('stream_id', '>', from)
    .andWhere('stream_id', '<=', to)
    .andWhere((q) => q.whereNull('visible_to').orWhere('visible_to', viewer))
    .andWhere((q) => q.where('kind', 'keys').orWhere('user_id', viewer).orWhereIn('room_id', [...rooms]))) as Array<{
    user_id: string;
    kind: ChangeKind;
    room_id: string | null;
    visible_to: string | null;
  }>;
  return rows.map((r) => ({ userId: r.user_id, kind: r.kind, roomId: r.room_id, visibleTo: r.visible_to }));
}
