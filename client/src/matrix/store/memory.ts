import { trimForStorage, type RoomData, type SyncState } from '../sync/accumulator';
import { assemble, EVENTS_KEPT_PER_ROOM, MEDIA_KEPT, type ClientStore, type StoredMeta } from './store';

/** A store that lives as long as the page: for tests, and browsers without IndexedDB. */
export class MemoryStore implements ClientStore {
  private meta: StoredMeta | undefined;
  private readonly rooms = new Map<string, RoomData>();
  private readonly media = new Map<string, Blob>();

  load(): Promise<SyncState | undefined> {
    // A deep copy, as a real store would give: callers must not share objects with the store.
    return Promise.resolve(structuredClone(assemble(this.meta, [...this.rooms.values()])));
  }

  save(state: SyncState, changedRooms: readonly string[]): Promise<void> {
    this.meta = structuredClone({ nextBatch: state.nextBatch, accountData: state.accountData, presence: state.presence });
    for (const id of changedRooms) {
      const room = state.rooms[id];
      if (room) this.rooms.set(id, structuredClone(trimForStorage(room, EVENTS_KEPT_PER_ROOM)));
    }
    return Promise.resolve();
  }

  getMedia(key: string): Promise<Blob | undefined> {
    return Promise.resolve(this.media.get(key));
  }

  putMedia(key: string, blob: Blob): Promise<void> {
    this.media.delete(key);
    this.media.set(key, blob);
    while (this.media.size > MEDIA_KEPT) this.media.delete(this.media.keys().next().value!);
    return Promise.resolve();
  }

  clear(): Promise<void> {
    this.meta = undefined;
    this.rooms.clear();
    this.media.clear();
    return Promise.resolve();
  }

  close(): void {}
}
