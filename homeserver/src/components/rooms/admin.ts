import type { Knex } from 'knex';
import type { JsonObject } from '../../core/json.js';
import { errors } from '../../http/errors.js';
import type { CurrentState } from './state/current-state.js';
import type { EventStore } from './storage/events.js';
import type { EventReportFilter, EventReportRow, ReportStore } from './storage/reports.js';
import { likeEscape, SUMMARY_COLUMNS, type SummaryStore, type SummaryWithRoom } from './storage/summaries.js';

/** Synapse's `order_by` values, with the column and natural direction of each. */
export const ROOM_ORDERS = {
  name: ['s.name', 'asc'],
  alphabetical: ['s.name', 'asc'],
  canonical_alias: ['s.canonical_alias', 'asc'],
  joined_members: ['s.joined_members', 'desc'],
  size: ['s.joined_members', 'desc'],
  joined_local_members: ['s.joined_local_members', 'desc'],
  version: ['r.room_version', 'desc'],
  creator: ['r.creator', 'asc'],
  encryption: ['s.encryption', 'asc'],
  federatable: ['s.federatable', 'asc'],
  public: ['r.is_public', 'asc'],
  join_rules: ['s.join_rule', 'asc'],
  guest_access: ['s.guest_access', 'asc'],
  history_visibility: ['s.history_visibility', 'asc'],
  state_events: ['s.state_events', 'desc'],
} as const satisfies Record<string, readonly [string, 'asc' | 'desc']>;
export type RoomOrder = keyof typeof ROOM_ORDERS;

export interface ListRoomsRequest {
  from: number;
  limit: number;
  orderBy: RoomOrder;
  dir: 'f' | 'b';
  searchTerm?: string | undefined;
  publicRooms?: boolean | undefined;
  emptyRooms?: boolean | undefined;
}

export interface ListReportsRequest extends EventReportFilter {
  from: number;
  limit: number;
  dir: 'f' | 'b';
}

function adminRoom(s: SummaryWithRoom): JsonObject {
  return {
    room_id: s.room_id,
    name: s.name,
    canonical_alias: s.canonical_alias,
    joined_members: s.joined_members,
    joined_local_members: s.joined_local_members,
    version: s.room_version,
    creator: s.creator,
    encryption: s.encryption,
    federatable: s.federatable,
    public: Boolean(s.is_public),
    join_rules: s.join_rule,
    guest_access: s.guest_access,
    history_visibility: s.history_visibility,
    state_events: s.state_events,
    room_type: s.room_type,
  };
}

/** The rooms half of Synapse's admin API: rooms, their members, and event reports. */
export class RoomAdmin {
  constructor(
    private readonly db: Knex,
    private readonly summaries: SummaryStore,
    private readonly reports: ReportStore,
    private readonly events: EventStore,
    private readonly current: CurrentState,
    private readonly serverName: string,
    private readonly settled: () => Promise<void>,
  ) {}

  /** GET /_synapse/admin/v1/rooms */
  async listRooms(req: ListRoomsRequest): Promise<JsonObject> {
    await this.settled();
    const filtered = (): Knex.QueryBuilder => {
      const q = this.summaries.base();
      const search = req.searchTerm;
      if (search !== undefined) {
        const term = likeEscape(search.toLowerCase());
        // Synapse's rule: the name, the local part of the canonical alias, or the exact room ID.
        q.where((w) =>
          w
            .whereRaw('lower(s.name) like ?', [`%${term}%`])
            .orWhereRaw('lower(s.canonical_alias) like ?', [`#%${term}%:%`])
            .orWhere('s.room_id', search),
        );
      }
      if (req.publicRooms !== undefined) q.where('r.is_public', req.publicRooms);
      if (req.emptyRooms !== undefined) q.where('s.joined_members', req.emptyRooms ? '=' : '<>', 0);
      return q;
    };
    const [column, natural] = ROOM_ORDERS[req.orderBy];
    const flip = (o: 'asc' | 'desc'): 'asc' | 'desc' => (o === 'asc' ? 'desc' : 'asc');
    const order = req.dir === 'b' ? flip(natural) : natural;
    const totalRow = (await filtered().count({ n: '*' }).first()) as { n: number | string } | undefined;
    const total = Number(totalRow?.n ?? 0);
    const rows = (await filtered()
      .select(SUMMARY_COLUMNS)
      .orderBy([{ column, order }, { column: 's.room_id', order }])
      .offset(req.from)
      .limit(req.limit)) as SummaryWithRoom[];
    const out: JsonObject = { rooms: rows.map(adminRoom), offset: req.from, total_rooms: total };
    if (req.from + req.limit < total) out.next_batch = req.from + req.limit;
    if (req.from > 0) out.prev_batch = Math.max(0, req.from - req.limit);
    return out;
  }

  /** GET /_synapse/admin/v1/rooms/{roomId} */
  async room(roomId: string): Promise<JsonObject> {
    await this.settled();
    const s = await this.summaries.get(roomId);
    if (!s) throw errors.notFound('Room not found');
    const tombstone = await this.current.event(roomId, 'm.room.tombstone', '');
    const replacement = tombstone?.pdu.content.replacement_room;
    // Synapse's rule: forgotten when no local user still has it un-forgotten.
    const remembered = await this.db('room_memberships')
      .where({ room_id: roomId, forgotten: false })
      .andWhereRaw("substring(user_id from position(':' in user_id) + 1) = ?", [this.serverName])
      .first('user_id');
    return {
      ...adminRoom(s),
      topic: s.topic,
      avatar: s.avatar_url,
      forgotten: !remembered,
      tombstoned: tombstone !== undefined,
      replacement_room: typeof replacement === 'string' ? replacement : null,
    };
  }

  /** GET /_synapse/admin/v1/rooms/{roomId}/members */
  async members(roomId: string): Promise<JsonObject> {
    if (!(await this.current.info(roomId))) throw errors.notFound('Room not found');
    const rows = (await this.db('room_memberships').select('user_id').where({ room_id: roomId, membership: 'join' }).orderBy('user_id')) as Array<{ user_id: string }>;
    const members = rows.map((r) => r.user_id);
    return { members, total: members.length };
  }

  private async reportEntries(rows: EventReportRow[]): Promise<JsonObject[]> {
    const [summaries, events] = await Promise.all([this.summaries.getMany(rows.map((r) => r.room_id)), this.events.getMany(rows.map((r) => r.event_id))]);
    return rows.map((r) => ({
      id: Number(r.id),
      received_ts: Number(r.received_ts),
      room_id: r.room_id,
      name: summaries.get(r.room_id)?.name ?? null,
      event_id: r.event_id,
      user_id: r.user_id,
      reason: r.reason,
      score: r.score,
      sender: events.get(r.event_id)?.pdu.sender ?? null,
      canonical_alias: summaries.get(r.room_id)?.canonical_alias ?? null,
    }));
  }

  /** GET /_synapse/admin/v1/event_reports */
  async listReports(req: ListReportsRequest): Promise<JsonObject> {
    await this.settled();
    const { rows, total } = await this.reports.list(req, req.from, req.limit, req.dir === 'b');
    const out: JsonObject = { event_reports: await this.reportEntries(rows), total };
    if (req.from + rows.length < total) out.next_token = req.from + rows.length;
    return out;
  }

  /** GET /_synapse/admin/v1/event_reports/{reportId} */
  async report(id: number): Promise<JsonObject> {
    await this.settled();
    const row = await this.reports.get(id);
    if (!row) throw errors.notFound('Event report not found');
    const [entry] = await this.reportEntries([row]);
    const event = await this.events.get(row.event_id);
    return { ...entry!, event_json: event ? (event.pdu as unknown as JsonObject) : null };
  }

  /** DELETE /_synapse/admin/v1/event_reports/{reportId} */
  async deleteReport(id: number): Promise<void> {
    if (!(await this.reports.delete(id))) throw errors.notFound('Event report not found');
  }
}
