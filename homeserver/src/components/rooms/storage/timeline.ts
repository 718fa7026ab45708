import type { Knex } from 'knex';

export interface TimedRow {
  event_id: string;
  origin_server_ts: number;
  stream_ordering: number;
}

/** Timeline reads by time (the `(room_id, origin_server_ts)` index). */
export class TimelineStore {
  constructor(private readonly db: Knex) {}

  /**
   * Timeline events at or after `ts` (forwards) or at or before it (backwards), nearest first.
   * `after` continues a scan past rows already seen.
   */
  async nearest(roomId: string, ts: number, dir: 'f' | 'b', limit: number, after?: { ts: number; stream: number }): Promise<TimedRow[]> {
    const cmp = dir === 'f' ? '>' : '<';
    const q = this.db('events')
      .select('event_id', 'origin_server_ts', 'stream_ordering')
      .where('room_id', roomId)
      .andWhere('outlier', false)
      .whereNull('rejected_reason')
      .andWhere('soft_failed', false)
      .whereNull('rejected_reason')
      .andWhere('soft_failed', false)
      .andWhere('origin_server_ts', `${cmp}=`, ts);
    if (after) q.andWhereRaw(`(origin_server_ts, stream_ordering) ${cmp} (?, ?)`, [after.ts, after.stream]);
    const order = dir === 'f' ? 'asc' : 'desc';
    const rows = (await q.orderBy([{ column: 'origin_server_ts', order }, { column: 'stream_ordering', order }]).limit(limit)) as TimedRow[];
    return rows.map((r) => ({ event_id: r.event_id, origin_server_ts: Number(r.origin_server_ts), stream_ordering: Number(r.stream_ordering) }));
  }
}
