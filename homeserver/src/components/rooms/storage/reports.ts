import type { Knex } from 'knex';

export interface EventReportRow {
  id: number;
  received_ts: number;
  room_id: string;
  event_id: string;
  user_id: string;
  reason: string | null;
  score: number | null;
  content: string;
}

export interface EventReportFilter {
  userId?: string | undefined;
  roomId?: string | undefined;
  /** The sender of the reported event. */
  eventSender?: string | undefined;
}

/** `event_reports` and `room_reports`: what users reported, for the server's admins. */
export class ReportStore {
  constructor(private readonly db: Knex) {}

  async addEventReport(r: Omit<EventReportRow, 'id'>): Promise<number> {
    const [row] = (await this.db('event_reports').insert(r).returning('id')) as Array<{ id: number }>;
    return Number(row!.id);
  }

  async addRoomReport(r: { received_ts: number; room_id: string; user_id: string; reason: string }): Promise<number> {
    const [row] = (await this.db('room_reports').insert(r).returning('id')) as Array<{ id: number }>;
    return Number(row!.id);
  }

  private filtered(f: EventReportFilter): Knex.QueryBuilder {
    const q = this.db('event_reports as er');
    if (f.userId !== undefined) q.where('er.user_id', f.userId);
    if (f.roomId !== undefined) q.where('er.room_id', f.roomId);
    if (f.eventSender !== undefined) q.join('events as e', 'e.event_id', 'er.event_id').where('e.sender', f.eventSender);
    return q;
  }

  async list(f: EventReportFilter, offset: number, limit: number, newestFirst: boolean): Promise<{ rows: EventReportRow[]; total: number }> {
    const totalRow = (await this.filtered(f).count({ n: '*' }).first()) as { n: number | string } | undefined;
    const order = newestFirst ? 'desc' : 'asc';
    const rows = (await this.filtered(f)
      .select('er.*')
      .orderBy([{ column: 'er.received_ts', order }, { column: 'er.id', order }])
      .offset(offset)
      .limit(limit)) as EventReportRow[];
    return { rows, total: Number(totalRow?.n ?? 0) };
  }

  async get(id: number): Promise<EventReportRow | undefined> {
    return (await this.db('event_reports').where('id', id).first()) as EventReportRow | undefined;
  }

  async delete(id: number): Promise<boolean> {
    return (await this.db('event_reports').where('id', id).delete()) > 0;
  }
}
