import type { Knex } from 'knex';
import type { PDU } from '../../../core/events.js';
import { groupBy } from '../../../util/group-by.js';

/** Events a room's unread counts weigh at most, per count. */
const MAX_CANDIDATES = 1000;

/**
 * For each room, the accepted timeline events of others in (after, upTo], the oldest 1000 at
 * most, in no order: what push rules decide a user's unread counts from (ordering all of them
 * took a sort on disk). One query for all the rooms.
 */
export async function unreadCandidates(db: Knex, rooms: ReadonlyArray<{ roomId: string; after: number }>, userId: string, upTo: number): Promise<Map<string, PDU[]>> {
  if (rooms.length === 0) return new Map();
  const { rows } = (await db.raw(
    `SELECT r.room_id, c.json
     FROM jsonb_to_recordset(?::jsonb) AS r(room_id text, after bigint)
     CROSS JOIN LATERAL (
       SELECT json FROM events
       WHERE room_id = r.room_id AND stream_ordering > r.after AND stream_ordering <= ?
         AND NOT outlier AND rejected_reason IS NULL AND NOT soft_failed AND sender <> ?
       ORDER BY stream_ordering LIMIT ?
     ) c`,
    [JSON.stringify(rooms.map((r) => ({ room_id: r.roomId, after: r.after }))), upTo, userId, MAX_CANDIDATES],
  )) as { rows: Array<{ room_id: string; json: string }> };
  const out = new Map<string, PDU[]>();
  for (const [roomId, list] of groupBy(rows, (r) => r.room_id)) out.set(roomId, list.map((r) => JSON.parse(r.json) as PDU));
  return out;
}
