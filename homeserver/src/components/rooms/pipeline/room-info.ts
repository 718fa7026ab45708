import type { Knex } from 'knex';
import type { StateMap } from '../../../core/events.js';
import { roomVersion, type RoomVersion } from '../../../core/room-versions.js';
import { LruCache } from '../../../util/lru.js';
import type { StateGroups } from '../state/state-groups.js';

/** What building the next event in a room needs: the DAG's tips and the current state. */
export interface RoomInfo {
  readonly roomId: string;
  readonly version: RoomVersion;
  readonly extremities: readonly string[];
  readonly maxDepth: number;
  readonly stateGroup: number;
  /** The current (resolved) state. Shared: copy before changing. */
  readonly state: StateMap;
}

/**
 * Current room info, cached. Only the room's queue changes a room, and it replaces the cached
 * entry after each commit, so a cached entry is never stale within this process.
 */
export class RoomInfos {
  private readonly cache = new LruCache<string, RoomInfo>(10_000);

  constructor(
    private readonly db: Knex,
    private readonly groups: StateGroups,
  ) {}

  async get(roomId: string): Promise<RoomInfo | undefined> {
    const hit = this.cache.get(roomId);
    if (hit) return hit;
    const room = (await this.db('rooms').select('room_version', 'current_state_group').where('room_id', roomId).first()) as
      | { room_version: string; current_state_group: number | null }
      | undefined;
    if (!room || room.current_state_group === null) return undefined;
    const version = roomVersion(room.room_version);
    if (!version) throw new Error(`room ${roomId} has unknown version ${room.room_version}`);
    const tips = (await this.db('room_forward_extremities as x')
      .join('events as e', 'e.event_id', 'x.event_id')
      .select('x.event_id', 'e.depth')
      .where('x.room_id', roomId)) as Array<{ event_id: string; depth: number }>;
    const info: RoomInfo = {
      roomId,
      version,
      extremities: tips.map((t) => t.event_id).sort(),
      maxDepth: Math.max(0, ...tips.map((t) => Number(t.depth))),
      stateGroup: Number(room.current_state_group),
      state: await this.groups.get(Number(room.current_state_group)),
    };
    this.cache.set(roomId, info);
    return info;
  }

  set(info: RoomInfo): void {
    this.cache.set(info.roomId, info);
  }

  forget(roomId: string): void {
    this.cache.delete(roomId);
  }
}
