import { trimForStorage, type RoomData, type SyncState } from '../sync/accumulator';
import { assemble, EVENTS_KEPT_PER_ROOM, MEDIA_KEPT, type ClientStore, type StoredMeta } from './store';

const VERSION = 1;

function done(req: IDBRequest): Promise<unknown> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('IndexedDB request failed'));
  });
}

function committed(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'));
    tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
  });
}

/**
 * The IndexedDB store: one database per account (`hearth:<user id>`), with the sync token and
 * account data under `meta`, each room's latest events under `rooms`, thumbnails under `media`.
 */
export class IndexedDbStore implements ClientStore {
  private constructor(
    private readonly db: IDBDatabase,
    private readonly name: string,
    private readonly factory: IDBFactory,
  ) {}

  static async open(userId: string, factory: IDBFactory = indexedDB): Promise<IndexedDbStore> {
    const name = `hearth:${userId}`;
    const req = factory.open(name, VERSION);
    req.onupgradeneeded = () => {
      const db = req.result;
      if (!db.objectStoreNames.contains('meta')) db.createObjectStore('meta');
      if (!db.objectStoreNames.contains('rooms')) db.createObjectStore('rooms', { keyPath: 'roomId' });
      if (!db.objectStoreNames.contains('media')) db.createObjectStore('media', { keyPath: 'key' }).createIndex('at', 'at');
    };
    const db = (await done(req)) as IDBDatabase;
    return new IndexedDbStore(db, name, factory);
  }

  async load(): Promise<SyncState | undefined> {
    const tx = this.db.transaction(['meta', 'rooms'], 'readonly');
    const [meta, rooms] = await Promise.all([done(tx.objectStore('meta').get('sync')), done(tx.objectStore('rooms').getAll())]);
    return assemble(meta as StoredMeta | undefined, rooms as RoomData[]);
  }

  async save(state: SyncState, changedRooms: readonly string[]): Promise<void> {
    const tx = this.db.transaction(['meta', 'rooms'], 'readwrite');
    const meta: StoredMeta = { nextBatch: state.nextBatch, accountData: state.accountData, presence: state.presence };
    tx.objectStore('meta').put(meta, 'sync');
    const rooms = tx.objectStore('rooms');
    for (const id of changedRooms) {
      const room = state.rooms[id];
      if (room) rooms.put(trimForStorage(room, EVENTS_KEPT_PER_ROOM));
    }
    await committed(tx);
  }

  async getMedia(key: string): Promise<Blob | undefined> {
    const tx = this.db.transaction('media', 'readonly');
    const row = (await done(tx.objectStore('media').get(key))) as { blob: Blob } | undefined;
    return row?.blob;
  }

  async putMedia(key: string, blob: Blob): Promise<void> {
    const tx = this.db.transaction('media', 'readwrite');
    const store = tx.objectStore('media');
    store.put({ key, blob, at: Date.now() });
    const count = (await done(store.count())) as number;
    if (count > MEDIA_KEPT) {
      // Drop the oldest beyond the cap, walking the time index from the start.
      let extra = count - MEDIA_KEPT;
      const cursorReq = store.index('at').openCursor();
      cursorReq.onsuccess = () => {
        const cursor = cursorReq.result;
        if (!cursor || extra <= 0) return;
        cursor.delete();
        extra--;
        cursor.continue();
      };
    }
    await committed(tx);
  }

  async clear(): Promise<void> {
    this.db.close();
    await done(this.factory.deleteDatabase(this.name));
  }

  close(): void {
    this.db.close();
  }
}

/** IndexedDB when the browser has it (not in some private modes), memory otherwise. */
export async function openStore(userId: string): Promise<ClientStore> {
  try {
    if (typeof indexedDB !== 'undefined') return await IndexedDbStore.open(userId);
  } catch {
    // Fall through: a working app without persistence beats no app.
  }
  const { MemoryStore } = await import('./memory');
  return new MemoryStore();
}
