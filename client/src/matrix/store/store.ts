import type { RoomData, SyncState } from '../sync/accumulator';

/**
 * Where the client keeps what it has seen, so it opens with the last known rooms and messages
 * before the network answers, and reads them offline.
 */
export interface ClientStore {
  load(): Promise<SyncState | undefined>;
  /** Writes the sync token, account data and the changed rooms together (or nothing). */
  save(state: SyncState, changedRooms: readonly string[]): Promise<void>;
  getMedia(key: string): Promise<Blob | undefined>;
  putMedia(key: string, blob: Blob): Promise<void>;
  /** Forget everything (sign-out). */
  clear(): Promise<void>;
  close(): void;
}

/** How many of a room's latest events are kept across restarts. */
export const EVENTS_KEPT_PER_ROOM = 60;
/** Thumbnails kept; the oldest go first. */
export const MEDIA_KEPT = 300;

export interface StoredMeta {
  nextBatch: string | undefined;
  accountData: SyncState['accountData'];
  presence: SyncState['presence'];
}

export function assemble(meta: StoredMeta | undefined, rooms: RoomData[]): SyncState | undefined {
  if (!meta) return undefined;
  return { nextBatch: meta.nextBatch, accountData: meta.accountData, presence: meta.presence, rooms: Object.fromEntries(rooms.map((r) => [r.roomId, r])) };
}
