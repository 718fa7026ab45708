import type { Knex } from 'knex';
import type { StateMap } from '../../../core/events.js';
import { roomVersion, type RoomVersion } from '../../../core/room-versions.js';
import { LruCache } from '../../../util/lru.js';
import { Coalescer } from '../../../util/coalesce.js';
import { groupBy } from '../../../util/group-by.js';
import { anyText } from '../../../db/json-list.js';
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
    const info = this.cache.get(roomId) ?? (await this.loader.load(roomId, roomId));
    if (info instanceof Error) throw info;
    return info;
  }

  /** Rooms that concurrent readers (the rooms of one sync) miss, read together; a broken room fails only its readers. */
  private readonly loader = new Coalescer<string, RoomInfo | Error>((rooms) => this.load([...rooms.keys()]));

  private async load(roomIds: readonly string[]): Promise<Map<string, RoomInfo | Error>> {
    const [rooms, tips] = (await Promise.all([
      this.db('rooms').select('room_id', 'room_version', 'current_state_group').where(anyText(this.db, 'room_id', roomIds)),
      this.db('room_forward_extremities as x')
        .join('events as e', 'e.event_id', 'x.event_id')
        .select('x.room_id', 'x.event_id', 'e.depth')
        .where(anyText(this.db, 'x.room_id', roomIds)),
    ])) as [Array<{ room_id: string; room_version: string; current_state_group: number | null }>, Array<{ room_id: string; event_id: string; depth: number }>];
    const tipsOf = groupBy(tips, (t) => t.room_id);
    const out = new Map<string, RoomInfo | Error>();
    await Promise.all(
      rooms.map(async (room) => {
        if (room.current_state_group === null) return;
        try {
          const version = roomVersion(room.room_version);
          if (!version) throw new Error(`room ${room.room_id} has unknown version ${room.room_version}`);
          const mine = tipsOf.get(room.room_id) ?? [];
          const info: RoomInfo = {
            roomId: room.room_id,
            version,
            extremities: mine.map((t) => t.event_id).sort(),
            maxDepth: Math.max(0, ...mine.map((t) => Number(t.depth))),
            stateGroup: Number(room.current_state_group),
            state: await this.groups.get(Number(room.current_state_group)),
          };
          this.cache.set(room.room_id, info);
          out.set(room.room_id, info);
        } catch (err) {
          out.set(room.room_id, err instanceof Error ? err : new Error(String(err)));
        }
      }),
    );
    return out;
  }

  set(info: RoomInfo): void {
    this.cache.set(info.roomId, info);
  }

  forget(roomId: string): void {
    this.cache.delete(roomId);
  }
}
