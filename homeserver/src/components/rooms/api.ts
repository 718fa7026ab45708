import type { Requester } from '../../http/auth.js';
import type { PersistedListener } from './pipeline/bus.js';
import type { RoomSyncSource } from './sync-source.js';

/** What other components may ask of the rooms component. */
export interface RoomsApi {
  /** Called after events are committed (sync, federation, push subscribe here). */
  onPersisted(listener: PersistedListener): () => void;
  /** The rooms a user is joined to now. */
  joinedRooms(userId: string): Promise<string[]>;
  /** Sends a new member event with the user's new profile into every room they are joined to. */
  updateProfileInRooms(userId: string, profile: { displayname?: string | undefined; avatar_url?: string | undefined }): Promise<void>;
  /** Leaves (or rejects invites to) every room, as account deactivation does. */
  leaveAllRooms(requester: Requester): Promise<void>;
  /** The highest event stream position every writer has finished. */
  currentStreamPosition(): number;
  /** Called whenever currentStreamPosition() moves forward. */
  onStreamAdvance(listener: (position: number) => void): () => void;
  /** Servers with at least one user joined to the room (ours included), sorted. */
  joinedServers(roomId: string): Promise<readonly string[]>;
  /** Servers with a user joined to any room that `userId` is joined to. */
  serversSharingRoomsWith(userId: string): Promise<string[]>;
  /** Whether the user's current membership in the room is `join`. */
  isJoined(roomId: string, userId: string): Promise<boolean>;
  /** The distinct mxc:// URIs the room's events refer to (media admin API); 404 M_NOT_FOUND for an unknown room. */
  mediaInRoom(roomId: string): Promise<string[]>;
  /** The reads sync makes of rooms, by stream position. */
  readonly sync: RoomSyncSource;
}
