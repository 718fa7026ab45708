import type { Knex } from 'knex';
import { likeEscape, SUMMARY_COLUMNS, type SummaryWithRoom } from './summaries.js';

export interface PublicRoomsQuery {
  searchTerm?: string | undefined;
  /** `null` in the list stands for rooms without a type. */
  roomTypes?: ReadonlyArray<string | null> | undefined;
  /** Exclusive: rows strictly after this (joined members, room ID) in the direction of travel. */
  bound?: { joined: number; roomId: string } | undefined;
  /** Forwards is largest first; backwards walks back towards the largest. */
  forwards: boolean;
  limit: number;
}

/** The published room directory (`rooms.is_public`) and queries over local aliases. */
export class DirectoryStore {
  constructor(private readonly db: Knex) {}

  /** Undefined when the room is unknown. */
  async isPublic(roomId: string): Promise<boolean | undefined> {
    const row = (await this.db('rooms').select('is_public').where('room_id', roomId).first()) as { is_public: boolean } | undefined;
    return row ? Boolean(row.is_public) : undefined;
  }

  async setPublic(roomId: string, isPublic: boolean): Promise<void> {
    await this.db('rooms').update({ is_public: isPublic }).where('room_id', roomId);
  }

  /** Server names of the room's joined members, each once. */
  async joinedServers(roomId: string): Promise<string[]> {
    const rows = (await this.db('room_memberships')
      .distinct(this.db.raw("substring(user_id from position(':' in user_id) + 1) as server"))
      .where({ room_id: roomId, membership: 'join' })) as Array<{ server: string }>;
    return rows.map((r) => r.server).sort();
  }

  /** Points every local alias of `from` at `to`; returns the aliases moved. */
  async moveAliases(from: string, to: string, db: Knex = this.db): Promise<string[]> {
    const rows = (await db('room_aliases').update({ room_id: to }).where('room_id', from).returning('alias')) as Array<{ alias: string }>;
    return rows.map((r) => r.alias);
  }

  /** Rooms that may be listed: published, joinable or world-readable, and not empty. */
  private listed(): Knex.QueryBuilder {
    return this.db('room_summaries as s')
      .join('rooms as r', 'r.room_id', 's.room_id')
      .where('r.is_public', true)
      .andWhere('s.joined_members', '>', 0)
      .andWhere((q) => q.whereIn('s.join_rule', ['public', 'knock', 'knock_restricted']).orWhere('s.history_visibility', 'world_readable'));
  }

  async publicRooms(query: PublicRoomsQuery): Promise<SummaryWithRoom[]> {
    const q = this.listed().select(SUMMARY_COLUMNS);
    if (query.searchTerm) {
      const pattern = `%${likeEscape(query.searchTerm.toLowerCase())}%`;
      q.andWhere((w) =>
        w.whereRaw('lower(s.name) like ?', [pattern]).orWhereRaw('lower(s.topic) like ?', [pattern]).orWhereRaw('lower(s.canonical_alias) like ?', [pattern]),
      );
    }
    if (query.roomTypes && query.roomTypes.length > 0) {
      const named = query.roomTypes.filter((t): t is string => t !== null);
      const untyped = query.roomTypes.includes(null);
      q.andWhere((w) => {
        if (named.length > 0) w.whereIn('s.room_type', named);
        if (untyped) w.orWhereNull('s.room_type');
      });
    }
    if (query.bound) {
      q.andWhereRaw(`(s.joined_members, s.room_id) ${query.forwards ? '<' : '>'} (?, ?)`, [query.bound.joined, query.bound.roomId]);
    }
    const dir = query.forwards ? 'desc' : 'asc';
    return (await q.orderBy([{ column: 's.joined_members', order: dir }, { column: 's.room_id', order: dir }]).limit(query.limit)) as SummaryWithRoom[];
  }

  async countPublicRooms(): Promise<number> {
    const row = (await this.listed().count({ n: '*' }).first()) as { n: number | string } | undefined;
    return Number(row?.n ?? 0);
  }
}
