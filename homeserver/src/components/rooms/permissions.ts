import { requiredPowerLevelForEvent, userPowerLevel } from '../../core/auth/index.js';
import type { RoomVersion } from '../../core/room-versions.js';
import type { Requester } from '../../http/auth.js';
import type { CurrentState } from './state/current-state.js';
import { toRoomEvent, type StoredEvent } from './storage/events.js';

/** Power in a room's current state, for checks made before anything is sent. */
export interface RoomPower {
  readonly version: RoomVersion;
  readonly powerLevels: StoredEvent | undefined;
  readonly create: StoredEvent | undefined;
  userLevel(userId: string): number;
  /** The level needed to send an event of `type` (state or not). */
  required(type: string, isState: boolean): number;
}

export async function roomPower(current: CurrentState, roomId: string): Promise<RoomPower | undefined> {
  const info = await current.info(roomId);
  if (!info) return undefined;
  const [pl, create] = await Promise.all([current.event(roomId, 'm.room.power_levels', ''), current.event(roomId, 'm.room.create', '')]);
  const plEvent = pl && toRoomEvent(pl);
  const createEvent = create && toRoomEvent(create);
  return {
    version: info.version,
    powerLevels: pl,
    create,
    userLevel: (userId) => userPowerLevel(userId, plEvent, createEvent, info.version),
    required: (type, isState) => requiredPowerLevelForEvent(type, isState, plEvent),
  };
}

/**
 * Whether the requester may change the room's directory entry or delete others' aliases: server
 * admins may; otherwise joined members who could send `m.room.canonical_alias` (Synapse's rule).
 */
export async function canEditDirectory(current: CurrentState, roomId: string, requester: Requester): Promise<boolean> {
  if (requester.isAdmin) return true;
  if ((await current.membership(roomId, requester.userId)) !== 'join') return false;
  const power = await roomPower(current, roomId);
  return power !== undefined && power.userLevel(requester.userId) >= power.required('m.room.canonical_alias', true);
}
