import type { Knex } from 'knex';
import { anyText } from '../../db/json-list.js';
import { Coalescer } from '../../util/coalesce.js';
import { groupBy } from '../../util/group-by.js';
import { LruCache } from '../../util/lru.js';

export interface MemberRow {
  user_id: string;
  membership: string;
}

/**
 * Each room's members (joined, invited, left, banned): what room summaries and push rules count.
 * Cached per room until a membership of the room changes; rooms that concurrent readers (the
 * rooms of one sync) miss are read in one query.
 */
export class MemberRows {
  private readonly cache = new LruCache<string, ReadonlyArray<MemberRow>>(10_000);
  private readonly loader = new Coalescer<string, ReadonlyArray<MemberRow>>((rooms) => this.load([...rooms.keys()]));
  /** Moves on every forget: a read that overlapped a change is answered but not kept. */
  private generation = 0;

  constructor(private readonly db: Knex) {}

  async get(roomId: string): Promise<ReadonlyArray<MemberRow>> {
    return this.cache.get(roomId) ?? (await this.loader.load(roomId, roomId)) ?? [];
  }

  forget(roomId: string): void {
    this.generation++;
    this.cache.delete(roomId);
  }

  private async load(roomIds: readonly string[]): Promise<Map<string, ReadonlyArray<MemberRow>>> {
    const generation = this.generation;
    const rows = (await this.db('room_memberships')
      .select('room_id', 'user_id', 'membership')
      .where(anyText(this.db, 'room_id', roomIds))
      .whereIn('membership', ['join', 'invite', 'leave', 'ban'])) as Array<MemberRow & { room_id: string }>;
    const byRoom = groupBy(rows, (r) => r.room_id);
    const out = new Map<string, ReadonlyArray<MemberRow>>();
    for (const roomId of roomIds) {
      const members = (byRoom.get(roomId) ?? []).map((r) => ({ user_id: r.user_id, membership: r.membership }));
      if (generation === this.generation) this.cache.set(roomId, members);
      out.set(roomId, members);
    }
    return out;
  }
}
