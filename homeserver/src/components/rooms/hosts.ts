import type { Knex } from 'knex';
import { LruCache } from '../../util/lru.js';
import type { StoredEvent } from './storage/events.js';

/** The server part of a user ID (everything after the first colon, port included). */
export function serverOf(userId: string): string {
  return userId.slice(userId.indexOf(':') + 1);
}

/**
 * Which servers have users joined to a room: where our events, typing and receipts are sent.
 * Cached per room and dropped whenever a membership event of the room is persisted.
 */
export class RoomHosts {
  private readonly cache = new LruCache<string, readonly string[]>(10_000);

  constructor(private readonly db: Knex) {}

  observe(events: readonly StoredEvent[]): void {
    for (const e of events) if (e.pdu.type === 'm.room.member') this.cache.delete(e.roomId);
  }

  async joinedServers(roomId: string): Promise<readonly string[]> {
    const hit = this.cache.get(roomId);
    if (hit) return hit;
    const rows = (await this.db('room_memberships').select('user_id').where({ room_id: roomId, membership: 'join' })) as Array<{ user_id: string }>;
    const servers = [...new Set(rows.map((r) => serverOf(r.user_id)))].sort();
    this.cache.set(roomId, servers);
    return servers;
  }

  /** Servers with a user joined to any room `userId` is joined to (device list and presence updates go there). */
  async serversSharingRoomsWith(userId: string): Promise<string[]> {
    const rows = (await this.db('room_memberships as mine')
      .join('room_memberships as other', 'other.room_id', 'mine.room_id')
      .distinct('other.user_id')
      .where({ 'mine.user_id': userId, 'mine.membership': 'join', 'other.membership': 'join' })) as Array<{ user_id: string }>;
    return [...new Set(rows.map((r) => serverOf(r.user_id)))].sort();
  }

  async isJoined(roomId: string, userId: string): Promise<boolean> {
    const row = (await this.db('room_memberships').select('membership').where({ room_id: roomId, user_id: userId }).first()) as { membership: string } | undefined;
    return row?.membership === 'join';
  }
}
