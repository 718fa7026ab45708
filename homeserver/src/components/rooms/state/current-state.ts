import { splitStateKey, stateKey } from '../../../core/events.js';
import type { EventStore, StoredEvent } from '../storage/events.js';
import type { RoomInfo, RoomInfos } from '../pipeline/room-info.js';

/** Reads of a room's current state, through the cached room info and event cache. */
export class CurrentState {
  constructor(
    private readonly infos: RoomInfos,
    private readonly events: EventStore,
  ) {}

  info(roomId: string): Promise<RoomInfo | undefined> {
    return this.infos.get(roomId);
  }

  async event(roomId: string, type: string, key: string): Promise<StoredEvent | undefined> {
    const info = await this.infos.get(roomId);
    const id = info?.state.get(stateKey(type, key));
    return id ? this.events.get(id) : undefined;
  }

  /** Every current state event, optionally only of one type. */
  async all(roomId: string, type?: string): Promise<StoredEvent[]> {
    const info = await this.infos.get(roomId);
    if (!info) return [];
    const ids: string[] = [];
    for (const [k, id] of info.state) {
      if (type === undefined || splitStateKey(k)[0] === type) ids.push(id);
    }
    const loaded = await this.events.getMany(ids);
    return ids.map((id) => loaded.get(id)).filter((e): e is StoredEvent => e !== undefined);
  }

  /** The user's current membership (`join`, `invite`, `leave`, `ban`, `knock`), or undefined. */
  async membership(roomId: string, userId: string): Promise<string | undefined> {
    const e = await this.event(roomId, 'm.room.member', userId);
    const m = e?.pdu.content.membership;
    return typeof m === 'string' ? m : undefined;
  }
}
