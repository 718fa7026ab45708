import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { authEventSelection, checkEventAuth, type AuthState } from '../../../core/auth/index.js';
import { stateKey, type RoomEvent, type StateMap } from '../../../core/events.js';
import { computeRoomIdV12 } from '../../../core/ids.js';
import type { RoomVersion } from '../../../core/room-versions.js';
import { errors } from '../../../http/errors.js';
import type { StreamIdGenerator } from '../../../streams/stream-id.js';
import { KeyedQueue } from '../../../util/keyed-queue.js';
import { LruCache } from '../../../util/lru.js';
import { TXN_INDEX } from '../storage/events.js';
import type { ServerSigningKey } from '../../federation/signing-key.js';
import { toRoomEvent, type EventStore, type StoredEvent } from '../storage/events.js';
import type { StateGroups } from '../state/state-groups.js';
import { buildEvent, type BuiltEvent, type EventTemplate, type Tips } from './build.js';
import type { RoomEventBus } from './bus.js';
import { persistLinear, type PendingEvent } from './persist.js';
import type { RoomInfo, RoomInfos } from './room-info.js';

export interface WriterDeps {
  db: Knex;
  events: EventStore;
  groups: StateGroups;
  infos: RoomInfos;
  stream: StreamIdGenerator;
  bus: RoomEventBus;
  serverName: string;
  signingKey: ServerSigningKey;
}

export interface SendOptions {
  /** The sending device and its transaction ID: makes the send idempotent and is echoed back. */
  device?: string;
  txnId?: string;
  /**
   * Runs on the last event once it passed the auth checks and before it is persisted: another
   * server countersigns an invite of its user here. What it returns is persisted instead (same
   * event ID: only signatures may differ); a throw refuses the event.
   */
  countersign?: (built: BuiltEvent, roomId: string) => Promise<BuiltEvent>;
}

/**
 * The local half of the one event pipeline: build → check → persist → notify, one room at a time.
 * Every event our users cause passes through `append` (or `createRoom` for a room's first events).
 */
interface AppendRequest {
  templates: EventTemplate[];
  options: SendOptions;
  resolve: (events: StoredEvent[]) => void;
  reject: (err: unknown) => void;
}

interface LinearTips {
  extremities: readonly string[];
  maxDepth: number;
  state: StateMap;
}

/** Most appends committed in one transaction; the rest wait for the next. */
const MAX_GROUP = 64;

export class RoomWriter {
  private readonly queue = new KeyedQueue();
  private readonly waiting = new Map<string, AppendRequest[]>();
  /** The events recent sends made, by `[sender, device, txnId]`: a retried send needs no query. */
  private readonly recentTxns = new LruCache<string, StoredEvent>(10_000);

  constructor(private readonly deps: WriterDeps) {}

  /** Creates a room from its create event template followed by the rest of its initial events. */
  async createRoom(version: RoomVersion, templates: EventTemplate[], creator: string): Promise<{ roomId: string; events: StoredEvent[] }> {
    const now = Date.now();
    const [createTemplate, ...rest] = templates;
    if (!createTemplate || createTemplate.type !== 'm.room.create') throw new Error('createRoom: the first template must be m.room.create');
    let roomId: string | undefined;
    if (!version.roomIdFromCreateEvent) roomId = `!${randomBytes(12).toString('base64url')}:${this.deps.serverName}`;
    const empty: Tips = { roomId, extremities: [], maxDepth: 0, state: new Map() };
    const create = buildEvent(createTemplate, empty, version, this.deps.serverName, this.deps.signingKey, now);
    if (version.roomIdFromCreateEvent) roomId = computeRoomIdV12(create.pdu, version);
    const id = roomId!;
    return this.queue.run(id, async () => {
      const createEvent = { ...create.event };
      const createState: StateMap = new Map([[stateKey('m.room.create', ''), create.eventId]]);
      const first: PendingEvent = { built: create, roomId: id, stateBefore: undefined, stateAfter: createState, replacesState: null };
      const authCheck = checkEventAuth(createEvent, emptyAuthState, version);
      if (!authCheck.ok) throw errors.forbidden(authCheck.reason);
      const stored = await this.appendLocked(
        { roomId: id, version, extremities: [create.eventId], maxDepth: create.pdu.depth, stateGroup: -1, state: createState },
        rest,
        {},
        { first, creator, known: new Map([[create.eventId, createEvent]]) },
      );
      return { roomId: id, events: stored };
    });
  }

  /**
   * Appends events to an existing room, in order; all or none are persisted. Appends that queue up
   * behind a room's running write are committed together in one transaction (group commit), each
   * still checked on its own: one refused append does not refuse the others.
   */
  append(roomId: string, templates: EventTemplate[], options: SendOptions = {}): Promise<StoredEvent[]> {
    return new Promise<StoredEvent[]>((resolve, reject) => {
      let waiting = this.waiting.get(roomId);
      if (!waiting) {
        this.waiting.set(roomId, (waiting = []));
        void this.queue.run(roomId, () => this.flush(roomId));
      }
      waiting.push({ templates, options, resolve, reject });
    });
  }

  /** Runs `task` in the room's queue, for reads that must see a settled room. */
  inRoom<T>(roomId: string, task: () => Promise<T>): Promise<T> {
    return this.queue.run(roomId, task);
  }

  async drain(): Promise<void> {
    await this.queue.drain();
  }

  private async flush(roomId: string): Promise<void> {
    const batch = this.waiting.get(roomId) ?? [];
    this.waiting.delete(roomId);
    if (batch.length > MAX_GROUP) {
      const rest = batch.splice(MAX_GROUP);
      this.waiting.set(roomId, rest);
      void this.queue.run(roomId, () => this.flush(roomId));
    }
    try {
      // A countersigned invite went to another server already: it is not built twice.
      await this.commitGroup(roomId, batch, batch.some((r) => r.options.countersign));
    } catch (err) {
      if (!isTxnConflict(err)) {
        for (const r of batch) r.reject(err);
        return;
      }
      // A transaction ID the memory did not know was used before (before a restart, say): the
      // whole group is tried again, this time looking the IDs up first.
      try {
        await this.commitGroup(roomId, batch, true);
      } catch (again) {
        for (const r of batch) r.reject(again);
      }
    }
  }

  /**
   * Builds, checks and commits a group of appends. Repeated transaction IDs are answered with the
   * event they made: from memory for recent ones; the database is asked only when `lookUpTxns`,
   * since otherwise the unique index on (sender, device, transaction ID) refuses the group's
   * commit if one was used before, and the group comes back here with `lookUpTxns` set.
   */
  private async commitGroup(roomId: string, batch: AppendRequest[], lookUpTxns: boolean): Promise<void> {
    const info = await this.deps.infos.get(roomId);
    if (!info) {
      for (const r of batch) r.reject(errors.notFound('Unknown room'));
      return;
    }
    const txnKey = (r: AppendRequest): string | undefined =>
      r.options.txnId && r.options.device && r.templates.length === 1 ? JSON.stringify([r.templates[0]!.sender, r.options.device, r.options.txnId]) : undefined;
    const keys = batch.map(txnKey).filter((k): k is string => k !== undefined);
    const previous = new Map<string, StoredEvent>();
    for (const k of keys) {
      const e = this.recentTxns.get(k);
      if (e) previous.set(k, e);
    }
    if (lookUpTxns) for (const [k, e] of await this.findTxns(keys.filter((k) => !previous.has(k)))) previous.set(k, e);
    const now = Date.now();
    const known = new Map<string, RoomEvent>();
    let tips: LinearTips = { extremities: info.extremities, maxDepth: info.maxDepth, state: info.state };
    const accepted: Array<{ request: AppendRequest; count: number }> = [];
    const repeats: Array<{ request: AppendRequest; of: AppendRequest }> = [];
    const firstOfTxn = new Map<string, AppendRequest>();
    const pending: PendingEvent[] = [];
    for (const request of batch) {
      const key = txnKey(request);
      const done = key ? previous.get(key) : undefined;
      if (done) {
        request.resolve([done]);
        continue;
      }
      const earlier = key ? firstOfTxn.get(key) : undefined;
      if (earlier) {
        repeats.push({ request, of: earlier });
        continue;
      }
      try {
        const prepared = await this.prepare(roomId, info.version, tips, request.templates, request.options, known, now);
        pending.push(...prepared.pending);
        tips = prepared.tips;
        accepted.push({ request, count: prepared.pending.length });
        if (key) firstOfTxn.set(key, request);
      } catch (err) {
        request.reject(err);
      }
    }
    if (pending.length === 0) {
      for (const { request } of repeats) request.reject(errors.forbidden('The first request with this transaction ID was refused'));
      return;
    }
    const stored = await this.commit(info, pending, now);
    const results = new Map<AppendRequest, StoredEvent[]>();
    let at = 0;
    for (const { request, count } of accepted) {
      const mine = stored.slice(at, at + count);
      at += count;
      results.set(request, mine);
      const key = txnKey(request);
      if (key) this.recentTxns.set(key, mine[mine.length - 1]!);
      request.resolve(mine);
    }
    for (const { request, of } of repeats) {
      const first = results.get(of);
      if (first) request.resolve(first.slice(-1));
      else request.reject(errors.forbidden('The first request with this transaction ID was refused'));
    }
  }

  /**
   * Events already sent with these `[sender, device, txnId]` keys (JSON), in one query: the event
   * rows carry the sending device and transaction ID (a partial index finds them).
   */
  private async findTxns(keys: readonly string[]): Promise<Map<string, StoredEvent>> {
    const out = new Map<string, StoredEvent>();
    if (keys.length === 0) return out;
    const tuples = keys.map((k) => JSON.parse(k) as [string, string, string]);
    const rows = (await this.deps.db('events')
      .select('sender', 'sender_device', 'txn_id', 'event_id')
      .whereNotNull('txn_id')
      .whereIn(['sender', 'sender_device', 'txn_id'], tuples)) as Array<{ sender: string; sender_device: string; txn_id: string; event_id: string }>;
    if (rows.length === 0) return out;
    const loaded = await this.deps.events.getMany(rows.map((r) => r.event_id));
    for (const r of rows) {
      const e = loaded.get(r.event_id);
      if (e) out.set(JSON.stringify([r.sender, r.sender_device, r.txn_id]), e);
    }
    return out;
  }

  private async appendLocked(
    start: RoomInfo,
    templates: EventTemplate[],
    options: SendOptions,
    creating: { first: PendingEvent; creator: string; known: Map<string, RoomEvent> },
  ): Promise<StoredEvent[]> {
    const now = Date.now();
    const prepared = await this.prepare(start.roomId, start.version, { extremities: start.extremities, maxDepth: start.maxDepth, state: start.state }, templates, options, creating.known, now);
    return this.commit(start, [creating.first, ...prepared.pending], now, creating.creator);
  }

  /** Builds, signs and checks one request's events on top of `tips`, without writing anything. */
  private async prepare(
    roomId: string,
    rv: RoomVersion,
    start: LinearTips,
    templates: EventTemplate[],
    options: SendOptions,
    known: Map<string, RoomEvent>,
    now: number,
  ): Promise<{ pending: PendingEvent[]; tips: LinearTips }> {
    const pending: PendingEvent[] = [];
    let tips = start;
    for (const [i, template] of templates.entries()) {
      let built = buildEvent(template, { roomId, ...tips }, rv, this.deps.serverName, this.deps.signingKey, now);
      const authState = await this.authStateFor(built.event, tips.state, rv, known);
      const verdict = checkEventAuth(built.event, authState, rv);
      if (!verdict.ok) throw errors.forbidden(verdict.reason);
      if (options.countersign && i === templates.length - 1) {
        const signed = await options.countersign(built, roomId);
        if (signed.eventId !== built.eventId) throw new Error('countersign changed the event');
        built = signed;
      }
      let stateAfter = tips.state;
      let replacesState: string | null = null;
      if (built.pdu.state_key !== undefined) {
        const k = stateKey(built.pdu.type, built.pdu.state_key);
        replacesState = tips.state.get(k) ?? null;
        stateAfter = new Map(tips.state);
        stateAfter.set(k, built.eventId);
      }
      const last = i === templates.length - 1;
      pending.push({
        built,
        roomId,
        stateBefore: tips.state,
        stateAfter,
        replacesState,
        senderDevice: last ? options.device : undefined,
        txnId: last ? options.txnId : undefined,
      });
      known.set(built.eventId, built.event);
      tips = { extremities: [built.eventId], maxDepth: built.pdu.depth, state: stateAfter };
    }
    return { pending, tips };
  }

  /** Persists prepared events of one room in one transaction, then announces them. */
  private async commit(start: RoomInfo, pending: PendingEvent[], now: number, creator?: string): Promise<StoredEvent[]> {
    const { version: rv, roomId } = start;
    const creating = creator !== undefined;
    const reservation = this.deps.stream.reserve(pending.length);
    try {
      const result = await persistLinear(this.deps.db, this.deps.groups, {
        roomId,
        version: rv,
        startGroup: creating ? undefined : { id: start.stateGroup, state: start.state },
        oldExtremities: creating ? [] : start.extremities,
        events: pending,
        streamOrderings: reservation.ids,
        creator,
        now,
      });
      for (const e of result.stored) this.deps.events.remember(e);
      this.deps.groups.remember(result.finalGroup.id, result.finalGroup.state);
      const last = result.stored[result.stored.length - 1]!;
      this.deps.infos.set({ roomId, version: rv, extremities: [last.eventId], maxDepth: last.depth, stateGroup: result.finalGroup.id, state: result.finalGroup.state });
      // Subscribers learn of the events before the stream position covering them is published,
      // so anything woken by the position finds them already announced.
      this.deps.bus.emit(result.stored);
      reservation.done();
      return result.stored;
    } catch (err) {
      reservation.done();
      this.deps.infos.forget(roomId);
      throw err;
    }
  }

  /** The auth events an event is checked against, from the state before it. */
  private async authStateFor(event: RoomEvent, state: StateMap, rv: RoomVersion, known: Map<string, RoomEvent>): Promise<AuthState> {
    const keys = authEventSelection(event, rv).map(([t, k]) => stateKey(t, k));
    keys.push(stateKey('m.room.create', ''));
    const ids = keys.map((k) => state.get(k)).filter((id): id is string => id !== undefined);
    const missing = ids.filter((id) => !known.has(id));
    const loaded = missing.length > 0 ? await this.deps.events.getMany(missing) : new Map<string, StoredEvent>();
    const byKey = new Map<string, RoomEvent>();
    for (const k of keys) {
      const id = state.get(k);
      if (id === undefined) continue;
      const e = known.get(id) ?? (loaded.get(id) ? toRoomEvent(loaded.get(id)!) : undefined);
      if (e) byKey.set(k, e);
    }
    return { get: (type, key) => byKey.get(stateKey(type, key)) };
  }
}

const emptyAuthState: AuthState = { get: () => undefined };

/** The unique index on (sender, sender_device, txn_id) refused an event: the ID was used before. */
function isTxnConflict(err: unknown): boolean {
  const e = err as { code?: unknown; constraint?: unknown } | null;
  return e !== null && typeof e === 'object' && e.code === '23505' && e.constraint === TXN_INDEX;
}
