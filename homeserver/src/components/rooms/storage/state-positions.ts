import type { Knex } from 'knex';

/** Where a room's state at a stream position comes from (see RoomSyncSource.stateMapAt). */
export interface StatePosition {
  /** The state group after the newest accepted event at or before the position. */
  stateAfter: number;
  /** That event's stream position. */
  stream: number;
  /** The stream position of the room's newest accepted event of all. */
  latest: number;
}

const ACCEPTED = 'room_id = r.room_id AND NOT outlier AND rejected_reason IS NULL AND NOT soft_failed AND state_after IS NOT NULL';

/** The state positions of many rooms at one stream position `at`, in one query; rooms without any are left out. */
export async function statePositions(db: Knex, roomIds: readonly string[], at: number): Promise<Map<string, StatePosition>> {
  const { rows } = (await db.raw(
    `SELECT r.room_id, a.state_after, a.stream_ordering, l.latest
     FROM jsonb_array_elements_text(?::jsonb) AS r(room_id)
     CROSS JOIN LATERAL (
       SELECT state_after, stream_ordering FROM events WHERE ${ACCEPTED} AND stream_ordering <= ? ORDER BY stream_ordering DESC LIMIT 1
     ) a
     CROSS JOIN LATERAL (SELECT max(stream_ordering) AS latest FROM events WHERE ${ACCEPTED}) l`,
    [JSON.stringify(roomIds), at],
  )) as { rows: Array<{ room_id: string; state_after: number; stream_ordering: number; latest: number }> };
  return new Map(rows.map((r) => [r.room_id, { stateAfter: Number(r.state_after), stream: Number(r.stream_ordering), latest: Number(r.latest) }]));
}
