import { splitStateKey } from '../../core/events.js';
import type { SyncExtension } from '../sync/deps.js';
import type { KeysContext } from './context.js';
import type { DurableStream } from './durable-stream.js';
import { changesBetween, insertChanges, type DeviceListChange } from './storage/device-lists.js';
import { withDefaultCount } from './key-counts.js';
import type { LocalKeyUpdate } from './key-updates.js';

type PersistedEvents = Parameters<Parameters<KeysContext['rooms']['onPersisted']>[0]>[0];

export interface KeyChange {
  userId: string;
  /** Only this user learns of the change (signatures made with their user-signing key). */
  onlyFor?: string;
  /** Which of a local user's devices changed or went, for the servers sharing a room with them. */
  devices?: LocalKeyUpdate['devices'];
  /** A local user's master or self-signing key changed, for those servers too. */
  signingKeys?: boolean;
}

function membershipOf(content: unknown): string | undefined {
  const m = (content as { membership?: unknown } | undefined)?.membership;
  return typeof m === 'string' ? m : undefined;
}

/**
 * The device-list stream: whose devices or keys changed, and who started or stopped sharing a room
 * with whom. Sync's `device_lists` and /keys/changes read it for one viewer between two positions.
 */
export class DeviceLists {
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly k: KeysContext,
    readonly stream: DurableStream,
    /** Passes local changes on to other servers (key-updates.ts); resolves once they are queued. */
    private readonly publish: (update: LocalKeyUpdate) => Promise<void> = async () => undefined,
  ) {}

  /** Records key changes (after they are committed) and wakes everyone who may see them. */
  async keysChanged(changes: readonly KeyChange[]): Promise<void> {
    if (changes.length === 0) return;
    await this.write(changes.map((c) => ({ userId: c.userId, kind: 'keys', roomId: null, visibleTo: c.onlyFor ?? null })));
    const poke = new Set<string>();
    for (const c of changes) {
      if (c.onlyFor !== undefined) {
        poke.add(c.onlyFor);
        continue;
      }
      poke.add(c.userId);
      for (const u of await this.k.rooms.sync.usersSharingRooms(c.userId)) poke.add(u);
    }
    for (const u of poke) if (this.k.isLocal(u)) this.k.poke(u);
    for (const c of changes) {
      if (c.onlyFor === undefined && (c.devices || c.signingKeys)) await this.publish({ userId: c.userId, devices: c.devices, signingKeys: c.signingKeys });
    }
  }

  /** For rooms.onPersisted: must not throw or block, so the work runs queued in the background. */
  readonly onPersisted = (events: PersistedEvents): void => {
    const members = events.filter((e) => e.pdu.type === 'm.room.member' && typeof e.pdu.state_key === 'string' && !e.outlier && e.rejectedReason === null && !e.softFailed);
    if (members.length === 0) return;
    this.queue = this.queue
      .then(() => this.recordMemberships(members))
      .catch((err: unknown) => this.k.log.warn({ err }, 'recording device-list membership changes failed'));
  };

  /** Resolves once membership changes seen so far are recorded (tests, shutdown). */
  idle(): Promise<void> {
    return this.queue;
  }

  private async recordMemberships(events: PersistedEvents): Promise<void> {
    const prevIds = events.map((e) => e.replacesState).filter((x): x is string => x !== null);
    const prev = prevIds.length > 0 ? await this.k.rooms.sync.getEvents(prevIds) : new Map();
    const changes: DeviceListChange[] = [];
    for (const e of events) {
      const now = membershipOf(e.pdu.content);
      const before = e.replacesState ? membershipOf(prev.get(e.replacesState)?.pdu.content) : undefined;
      // A profile change is join → join: nobody starts or stops sharing a room.
      if (now === 'join' && before !== 'join') changes.push({ userId: e.pdu.state_key!, kind: 'join', roomId: e.roomId, visibleTo: null });
      else if (now !== 'join' && before === 'join') changes.push({ userId: e.pdu.state_key!, kind: 'leave', roomId: e.roomId, visibleTo: null });
    }
    if (changes.length === 0) return;
    await this.write(changes);
    const poke = new Set<string>();
    for (const c of changes) {
      poke.add(c.userId);
      for (const m of await this.members(c.roomId!)) poke.add(m);
    }
    for (const u of poke) if (this.k.isLocal(u)) this.k.poke(u);
  }

  private async write(changes: readonly DeviceListChange[]): Promise<void> {
    const r = await this.stream.reserve(changes.length);
    try {
      await insertChanges(this.k.db, r.ids, changes);
    } finally {
      r.done();
    }
  }

  /** Everyone with a membership in the room (joined or not): the candidates for changed or left. */
  private async members(roomId: string): Promise<string[]> {
    const state = await this.k.rooms.sync.currentStateMap(roomId);
    const out: string[] = [];
    for (const k of state.keys()) {
      const [type, key] = splitStateKey(k);
      if (type === 'm.room.member') out.push(key);
    }
    return out;
  }

  /**
   * `device_lists` for `viewer` between two positions. changed: users sharing a room with the
   * viewer whose keys changed, and users the viewer newly shares a room with (possibly already
   * sharing another: the spec allows that simpler rule); the viewer's own key changes too, so its
   * other devices notice. left: users the viewer shared a room with and now shares none.
   */
  async changesFor(viewer: string, from: number, to: number): Promise<{ changed: string[]; left: string[] }> {
    if (to <= from) return { changed: [], left: [] };
    const joined = await this.k.rooms.joinedRooms(viewer);
    const rows = await changesBetween(this.k.db, from, to, viewer, joined);
    if (rows.length === 0) return { changed: [], left: [] };
    const sharers = await this.k.rooms.sync.usersSharingRooms(viewer);
    const joinedSet = new Set(joined);
    const changed = new Set<string>();
    const leftCandidates = new Set<string>();
    const roomsJoined = new Set<string>();
    const roomsLeft = new Set<string>();
    let ownKeys = false;
    for (const r of rows) {
      if (r.kind === 'keys') {
        if (r.userId === viewer) ownKeys = true;
        else if (r.visibleTo === viewer || sharers.has(r.userId)) changed.add(r.userId);
      } else if (r.userId === viewer) {
        (r.kind === 'join' ? roomsJoined : roomsLeft).add(r.roomId!);
      } else if (r.kind === 'join') {
        if (joinedSet.has(r.roomId!) && sharers.has(r.userId)) changed.add(r.userId);
      } else {
        leftCandidates.add(r.userId);
      }
    }
    for (const roomId of roomsJoined) for (const m of await this.members(roomId)) if (sharers.has(m)) changed.add(m);
    for (const roomId of roomsLeft) for (const m of await this.members(roomId)) leftCandidates.add(m);
    changed.delete(viewer);
    if (ownKeys) changed.add(viewer);
    const left = [...leftCandidates].filter((u) => u !== viewer && !sharers.has(u));
    return { changed: [...changed].sort(), left: left.sort() };
  }

  /** The 'deviceLists' stream of sync, with the device's one-time and fallback key state. */
  extension(): SyncExtension {
    return {
      stream: 'deviceLists',
      position: () => this.stream.current(),
      fill: async (userId, deviceId, since, to, body) => {
        const { counts, unusedFallback } = await this.k.keyCounts.get(userId, deviceId);
        body.device_one_time_keys_count = withDefaultCount(counts);
        body.device_unused_fallback_key_types = [...unusedFallback];
        // The spec fills device_lists on incremental syncs only; a first sync queries keys anyway.
        if (since === undefined) return false;
        const lists = await this.changesFor(userId, since, to);
        body.device_lists = lists;
        return lists.changed.length > 0 || lists.left.length > 0;
      },
    };
  }
}
