import type { Knex } from 'knex';

/** One row of `room_summaries`, joined with what `rooms` knows. */
export interface RoomSummaryRow {
  room_id: string;
  state_group: number;
  name: string | null;
  topic: string | null;
  avatar_url: string | null;
  canonical_alias: string | null;
  join_rule: string | null;
  history_visibility: string | null;
  guest_access: string | null;
  encryption: string | null;
  room_type: string | null;
  federatable: boolean;
  joined_members: number;
  joined_local_members: number;
  state_events: number;
}

export interface SummaryWithRoom extends RoomSummaryRow {
  room_version: string;
  creator: string | null;
  is_public: boolean;
}

export const SUMMARY_COLUMNS = [
  's.room_id',
  's.state_group',
  's.name',
  's.topic',
  's.avatar_url',
  's.canonical_alias',
  's.join_rule',
  's.history_visibility',
  's.guest_access',
  's.encryption',
  's.room_type',
  's.federatable',
  's.joined_members',
  's.joined_local_members',
  's.state_events',
  'r.room_version',
  'r.creator',
  'r.is_public',
];

/** Escapes `%`, `_` and `\` for a LIKE pattern (the default escape character is `\`). */
export function likeEscape(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** The `room_summaries` table: written by RoomSummaries, read by the directory and admin API. */
export class SummaryStore {
  constructor(private readonly db: Knex) {}

  /** Stores a summary unless a newer one (from a later state group) is there already. */
  async upsert(row: RoomSummaryRow): Promise<void> {
    await this.db('room_summaries')
      .insert(row)
      .onConflict('room_id')
      .merge()
      .where('room_summaries.state_group', '<=', row.state_group);
  }

  /** Rooms whose summary is missing or older than their current state. */
  async stale(limit: number): Promise<string[]> {
    const rows = (await this.db('rooms as r')
      .leftJoin('room_summaries as s', 's.room_id', 'r.room_id')
      .whereNotNull('r.current_state_group')
      .andWhere((q) => q.whereNull('s.room_id').orWhereRaw('s.state_group <> r.current_state_group'))
      .select('r.room_id')
      .orderBy('r.room_id')
      .limit(limit)) as Array<{ room_id: string }>;
    return rows.map((r) => r.room_id);
  }

  /** Joined member counts of a room, all and ours, in one query. */
  async joinedCounts(roomId: string, serverName: string): Promise<{ all: number; local: number }> {
    const row = (await this.db('room_memberships')
      .where({ room_id: roomId, membership: 'join' })
      .select(this.db.raw('count(*) as all_count'), this.db.raw("count(*) filter (where substring(user_id from position(':' in user_id) + 1) = ?) as local_count", [serverName]))
      .first()) as { all_count: number | string; local_count: number | string } | undefined;
    return { all: Number(row?.all_count ?? 0), local: Number(row?.local_count ?? 0) };
  }

  base(): Knex.QueryBuilder {
    return this.db('room_summaries as s').join('rooms as r', 'r.room_id', 's.room_id');
  }

  async get(roomId: string): Promise<SummaryWithRoom | undefined> {
    return (await this.base().select(SUMMARY_COLUMNS).where('s.room_id', roomId).first()) as SummaryWithRoom | undefined;
  }

  async getMany(roomIds: readonly string[]): Promise<Map<string, SummaryWithRoom>> {
    if (roomIds.length === 0) return new Map();
    const rows = (await this.base().select(SUMMARY_COLUMNS).whereIn('s.room_id', [...new Set(roomIds)])) as SummaryWithRoom[];
    return new Map(rows.map((r) => [r.room_id, r]));
  }
}
