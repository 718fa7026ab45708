import { stateKey, type StateMap } from '../../../core/events.js';
import type { RoomVersion } from '../../../core/room-versions.js';
import { resolveState, type StateResEvent } from '../../../core/state-res/index.js';
import type { RoomInfo } from '../pipeline/room-info.js';
import type { StoredEvent } from '../storage/events.js';
import { asRoomEvent, checkAgainstAuthEvents, checkAgainstState, impliedCreateId, stateResStore } from './auth-check.js';
import type { RoomFederationContext } from './context.js';
import { applyCurrentState, deferredWrites, newGroup, persistOutliers, persistTimelineEvent, type DeferredWrites, type Group, type WriteTarget } from './persist.js';
import type { RemoteRoom } from './remote.js';
import type { CheckedPdu } from './verify.js';

/**
 * Events that came in over federation, as announced on the bus: never sent out again, even when
 * their sender is one of ours (a server echoing our own events back to us).
 */
export const receivedOverFederation = new WeakSet<object>();

/** How many events `/get_missing_events` is asked for when a gap opens. */
const GAP_FILL_LIMIT = 20;

export type IngestMode =
  /** A new event: may fill gaps, is soft-failed against current state, moves the room forward. */
  | 'live'
  /** An event fetched to fill a gap before a live one: like live, but opens no further gaps. */
  | 'gap'
  /** History fetched by backfill: placed before what we hold, never news, never current state. */
  | 'backfill';

/**
 * Several inbound events of one room written together (a `/send` transaction's run for that room):
 * their writes collect in `deferred` and reach the database as one message, which PostgreSQL runs
 * as one transaction. What later events of the batch must see is kept in memory (`infos`, and the
 * event and state caches); what others may see — the bus, the shared room info — waits for the
 * commit (`afterCommit`). A failed batch is undone by `abandon` and its events taken one by one.
 */
export class IngestBatch {
  readonly infos = new Map<string, RoomInfo>();
  readonly afterCommit: Array<() => void> = [];
  readonly reservations: Array<{ done: () => void }> = [];
  readonly remembered: string[] = [];
  /**
   * Events found not held when the batch began (one query for all). Anything stored since is in
   * the event cache, which is asked first.
   */
  readonly absent = new Set<string>();
  readonly deferred: DeferredWrites = deferredWrites();

  committed(): void {
    for (const f of this.afterCommit) f();
    this.release();
  }

  abandon(ctx: RoomFederationContext): void {
    for (const id of this.remembered) ctx.events.forget(id);
    for (const roomId of this.infos.keys()) ctx.infos.forget(roomId);
    this.release();
  }

  private release(): void {
    for (const r of this.reservations) r.done();
    this.reservations.length = 0;
  }
}

export interface IngestOutcome {
  eventId: string;
  /** Why the event was rejected; null when accepted (soft-failed events count as accepted). */
  rejectedReason: string | null;
  softFailed: boolean;
}

/**
 * The federation half of the one event pipeline (principle 3): an event another server sent, after
 * the format, signature and hash checks, is checked against its auth events, against the state
 * before it and against current state, then persisted with its state. Callers hold the room's queue.
 */
export class EventIngest {
  constructor(
    private readonly ctx: RoomFederationContext,
    private readonly remote: RemoteRoom,
  ) {}

  /** The room as the batch sees it (its own uncommitted changes included). */
  async roomInfo(roomId: string, batch?: IngestBatch): Promise<RoomInfo | undefined> {
    return batch?.infos.get(roomId) ?? (await this.ctx.infos.get(roomId));
  }

  async ingest(origin: string, info: RoomInfo, event: CheckedPdu, mode: IngestMode, batch?: IngestBatch): Promise<IngestOutcome> {
    const { events } = this.ctx;
    const roomId = info.roomId;
    const rv = info.version;
    const existing = events.peek(event.eventId) ?? (batch?.absent.has(event.eventId) ? undefined : await events.get(event.eventId));
    if (existing && !existing.outlier) return { eventId: event.eventId, rejectedReason: existing.rejectedReason, softFailed: existing.softFailed };

    if (mode === 'live') await this.fillGap(origin, info, event, batch);

    const extra = new Map<string, StateResEvent>();
    await this.ensureAuthEvents(origin, roomId, rv, event, extra);
    const roomEvent = asRoomEvent(event);
    let rejectedReason: string | null = null;
    const againstAuth = checkAgainstAuthEvents(roomEvent, roomId, rv, extra);
    if (!againstAuth.ok) rejectedReason = `auth events: ${againstAuth.reason}`;

    const before = await this.stateBefore(origin, roomId, rv, event, extra);
    if (rejectedReason === null) {
      const againstBefore = await checkAgainstState(roomEvent, before.state, rv, events, extra);
      if (!againstBefore.ok) rejectedReason = `state before: ${againstBefore.reason}`;
    }
    // Soft failure: allowed by its own history but not by the room as we see it now. It stays in the
    // DAG (others may build on it) without reaching clients or moving current state.
    let softFailed = false;
    if (rejectedReason === null && mode !== 'backfill') {
      const current = (await this.roomInfo(roomId, batch))?.state;
      if (current) softFailed = !(await checkAgainstState(roomEvent, current, rv, events, extra)).ok;
    }

    let stateAfter = before.state;
    if (rejectedReason === null && event.pdu.state_key !== undefined) {
      stateAfter = new Map(before.state);
      stateAfter.set(stateKey(event.pdu.type, event.pdu.state_key), event.eventId);
    }
    return this.persist(info, event, { before, stateAfter, rejectedReason, softFailed, wasOutlier: existing !== undefined, mode }, batch);
  }

  /** Missing prev_events of a live event are asked of its origin, oldest first, before it is checked. */
  private async fillGap(origin: string, info: RoomInfo, event: CheckedPdu, batch?: IngestBatch): Promise<void> {
    const prevs = await this.ctx.events.getMany(event.pdu.prev_events);
    const missing = event.pdu.prev_events.filter((id) => !prevs.get(id) || prevs.get(id)!.outlier);
    if (missing.length === 0) return;
    let fetched: CheckedPdu[];
    try {
      fetched = await this.remote.missingEvents(origin, info.roomId, info.extremities, [event.eventId], GAP_FILL_LIMIT, info.version);
    } catch (err) {
      this.ctx.log.info({ err, origin, eventId: event.eventId }, 'get_missing_events failed; the state before the event is fetched instead');
      return;
    }
    fetched.sort((a, b) => a.pdu.depth - b.pdu.depth);
    for (const e of fetched) {
      if (e.pdu.room_id !== info.roomId && !info.version.roomIdFromCreateEvent) continue;
      const now = (await this.roomInfo(info.roomId, batch)) ?? info;
      await this.ingest(origin, now, e, 'gap', batch);
    }
  }

  /** The event's auth events (and v12's create event) into `extra`, fetching the auth chain when some are unknown. */
  private async ensureAuthEvents(origin: string, roomId: string, rv: RoomVersion, event: CheckedPdu, extra: Map<string, StateResEvent>): Promise<void> {
    const ids = [...event.pdu.auth_events];
    const createId = impliedCreateId(roomId, rv);
    if (createId && event.pdu.type !== 'm.room.create') ids.push(createId);
    let known = await this.ctx.events.getMany(ids);
    if (ids.some((id) => !known.has(id))) {
      try {
        await this.storeOutliers(origin, roomId, rv, await this.remote.authChain(origin, roomId, event.eventId, rv));
      } catch (err) {
        this.ctx.log.info({ err, origin, eventId: event.eventId }, 'could not fetch the auth chain of an event');
      }
      known = await this.ctx.events.getMany(ids);
    }
    for (const [id, e] of known) extra.set(id, asRoomEvent(e));
  }

  /**
   * Stores events as outliers after checking each against its own auth events, auth events first.
   * Events already held are skipped. Returns every event of the batch as the store now holds it.
   */
  async storeOutliers(origin: string, roomId: string, rv: RoomVersion, batch: readonly CheckedPdu[]): Promise<Map<string, StateResEvent>> {
    const { lookup, written } = await this.checkOutliers(roomId, rv, batch);
    await written;
    return lookup;
  }

  /**
   * storeOutliers, answering as soon as the events are checked: `written` settles once they are
   * stored. A join writes the room meanwhile on another connection, and commits only after.
   */
  async checkOutliers(roomId: string, rv: RoomVersion, batch: readonly CheckedPdu[]): Promise<{ lookup: Map<string, StateResEvent>; written: Promise<void> }> {
    const { events } = this.ctx;
    const byId = new Map(batch.map((e) => [e.eventId, e]));
    const held = await events.getMany(byId.keys());
    const fresh = [...byId.values()].filter((e) => !held.has(e.eventId) && (rv.roomIdFromCreateEvent || e.pdu.room_id === roomId || e.pdu.type === 'm.room.create'));
    const lookup = new Map<string, StateResEvent>();
    for (const [id, e] of held) lookup.set(id, asRoomEvent(e));
    const neededFromStore = new Set<string>();
    const createId = impliedCreateId(roomId, rv);
    for (const e of fresh) {
      for (const a of e.pdu.auth_events) if (!byId.has(a) && !held.has(a)) neededFromStore.add(a);
      if (createId && !byId.has(createId) && !held.has(createId)) neededFromStore.add(createId);
    }
    if (neededFromStore.size > 0) for (const [id, e] of await events.getMany(neededFromStore)) lookup.set(id, asRoomEvent(e));

    const rows: Array<{ event: CheckedPdu; rejectedReason: string | null; streamOrdering: number }> = [];
    const ids = this.ctx.historic.take(fresh.length);
    for (const e of authOrder(fresh)) {
      const verdict = checkAgainstAuthEvents(asRoomEvent(e), roomId, rv, lookup);
      const rejectedReason = verdict.ok ? null : `auth events: ${verdict.reason}`;
      lookup.set(e.eventId, asRoomEvent({ eventId: e.eventId, pdu: e.pdu, rejectedReason }));
      rows.push({ event: e, rejectedReason, streamOrdering: ids[rows.length]! });
    }
    const written =
      rows.length === 0
        ? Promise.resolve()
        : this.ctx.db.transaction((trx) => persistOutliers(trx, events, roomId, rows)).then((stored) => {
            for (const s of stored) events.remember(s);
          });
    // Whoever awaits it sees a failure; until then it must not count as unhandled.
    written.catch(() => undefined);
    return { lookup, written };
  }

  /**
   * The state before an event: its prev_events' states after, resolved together; where a prev event
   * is unknown, the origin's view of the state before the event (`/state_ids`) takes its place.
   */
  private async stateBefore(origin: string, roomId: string, rv: RoomVersion, event: CheckedPdu, extra: Map<string, StateResEvent>): Promise<{ state: StateMap; group?: Group }> {
    const { events, groups } = this.ctx;
    const prevs = await events.getMany(event.pdu.prev_events);
    const known: StoredEvent[] = [];
    let gap = false;
    for (const id of event.pdu.prev_events) {
      const p = prevs.get(id);
      if (p && !p.outlier && p.stateAfter !== null) known.push(p);
      else gap = true;
    }
    const states: StateMap[] = [];
    const groupIds = [...new Set(known.map((p) => Number(p.stateAfter)))];
    for (const g of groupIds) states.push(await groups.get(g));
    if (gap) {
      const remote = await this.remoteStateBefore(origin, roomId, rv, event, extra);
      if (remote) states.push(remote);
    }
    if (states.length === 0) return { state: new Map() };
    if (states.length === 1) return groupIds.length === 1 && !gap ? { state: states[0]!, group: { id: groupIds[0]!, state: states[0]! } } : { state: states[0]! };
    return { state: await resolveState(rv, states, stateResStore(events, extra)) };
  }

  private async remoteStateBefore(origin: string, roomId: string, rv: RoomVersion, event: CheckedPdu, extra: Map<string, StateResEvent>): Promise<StateMap | undefined> {
    try {
      const { pduIds, authChainIds } = await this.remote.stateIds(origin, roomId, event.eventId);
      const all = [...new Set([...pduIds, ...authChainIds])];
      const held = await this.ctx.events.getMany(all);
      const unknown = all.filter((id) => !held.has(id));
      if (unknown.length > 0) await this.storeOutliers(origin, roomId, rv, await this.remote.events(origin, roomId, unknown, rv, event.eventId));
      const loaded = await this.ctx.events.getMany(pduIds);
      const state: StateMap = new Map();
      for (const id of pduIds) {
        const e = loaded.get(id);
        if (!e || e.rejectedReason !== null || e.pdu.state_key === undefined) continue;
        state.set(stateKey(e.pdu.type, e.pdu.state_key), id);
        extra.set(id, asRoomEvent(e));
      }
      return state;
    } catch (err) {
      this.ctx.log.info({ err, origin, eventId: event.eventId }, 'could not fetch the state before an event');
      return undefined;
    }
  }

  private async persist(
    info: RoomInfo,
    event: CheckedPdu,
    p: { before: { state: StateMap; group?: Group }; stateAfter: StateMap; rejectedReason: string | null; softFailed: boolean; wasOutlier: boolean; mode: IngestMode },
    batch?: IngestBatch,
  ): Promise<IngestOutcome> {
    const { db, events, groups, infos, stream, historic, bus } = this.ctx;
    const roomId = info.roomId;
    const rv = info.version;
    const moves = p.rejectedReason === null && !p.softFailed && p.mode !== 'backfill';
    // Recomputed inside the queue: a gap fill may have moved the room since `info` was read.
    const now = (await this.roomInfo(roomId, batch)) ?? info;
    const newExtremities = moves ? [...now.extremities.filter((x) => !event.pdu.prev_events.includes(x)), event.eventId].sort() : [...now.extremities];
    let newState: StateMap | undefined;
    if (moves) {
      if (newExtremities.length === 1) newState = p.stateAfter;
      else {
        const others = await events.getMany(newExtremities.filter((x) => x !== event.eventId));
        const sets: StateMap[] = [p.stateAfter];
        for (const g of new Set([...others.values()].map((o) => o.stateAfter).filter((g): g is number => g !== null))) sets.push(await groups.get(g));
        newState = await resolveState(rv, sets, stateResStore(events, new Map([[event.eventId, asRoomEvent(event)]])));
      }
    }
    const memberEvents = new Map<string, { content: typeof event.pdu.content; state_key?: string }>();
    if (newState) {
      const changedMembers = [...newState].filter(([k, id]) => k.startsWith('m.room.member\u0000') && now.state.get(k) !== id).map(([, id]) => id);
      const loaded = await events.getMany(changedMembers.filter((id) => id !== event.eventId));
      for (const [id, e] of loaded) memberEvents.set(id, e.pdu);
      memberEvents.set(event.eventId, event.pdu);
    }

    const reservation = p.mode === 'backfill' ? undefined : stream.reserve(1);
    if (reservation && batch) batch.reservations.push(reservation);
    const streamOrdering = reservation ? reservation.ids[0]! : historic.take(1)[0]!;
    const write = async (target: WriteTarget) => {
      const before = p.before.group ?? { id: await newGroup(target, groups, roomId, p.before.state, undefined), state: p.before.state };
      const { stored, after } = await persistTimelineEvent(target, events, groups, {
        roomId,
        version: rv,
        event,
        streamOrdering,
        before,
        stateAfter: p.stateAfter,
        rejectedReason: p.rejectedReason,
        softFailed: p.softFailed,
        wasOutlier: p.wasOutlier,
      });
      let current: Group | undefined;
      if (newState) {
        const oldGroup = { id: now.stateGroup, state: now.state };
        current = newState === p.stateAfter ? after : { id: await newGroup(target, groups, roomId, newState, after), state: newState };
        await applyCurrentState(target, { roomId, oldGroup, newGroup: current, oldExtremities: now.extremities, newExtremities, streamOrdering, memberEvents });
      }
      return { stored, before, after, current };
    };
    try {
      const result = batch ? await write(batch.deferred) : await db.transaction(write);
      events.remember(result.stored);
      if (batch) batch.remembered.push(result.stored.eventId);
      groups.remember(result.before.id, result.before.state);
      groups.remember(result.after.id, result.after.state);
      let next: RoomInfo | undefined;
      if (result.current) {
        groups.remember(result.current.id, result.current.state);
        next = { roomId, version: rv, extremities: newExtremities, maxDepth: Math.max(now.maxDepth, event.pdu.depth), stateGroup: result.current.id, state: result.current.state };
      } else if (p.mode !== 'backfill' && p.rejectedReason === null) {
        // Soft-failed: held, not shown. The DAG's depth still moves so our next event sorts after it.
        next = { ...now, maxDepth: Math.max(now.maxDepth, event.pdu.depth) };
      }
      const publish = (): void => {
        if (next) infos.set(next);
        if (result.current) {
          receivedOverFederation.add(result.stored);
          bus.emit([result.stored]);
        }
      };
      if (batch) {
        if (next) batch.infos.set(roomId, next);
        batch.afterCommit.push(publish);
      } else {
        publish();
      }
      return { eventId: event.eventId, rejectedReason: p.rejectedReason, softFailed: p.softFailed };
    } catch (err) {
      infos.forget(roomId);
      throw err;
    } finally {
      if (!batch) reservation?.done();
    }
  }
}

/** Orders events so that each comes after the events of the batch it cites in auth_events. */
export function authOrder(batch: readonly CheckedPdu[]): CheckedPdu[] {
  const byId = new Map(batch.map((e) => [e.eventId, e]));
  const done = new Set<string>();
  const out: CheckedPdu[] = [];
  const visiting = new Set<string>();
  const visit = (e: CheckedPdu): void => {
    if (done.has(e.eventId) || visiting.has(e.eventId)) return;
    visiting.add(e.eventId);
    for (const a of e.pdu.auth_events) {
      const dep = byId.get(a);
      if (dep) visit(dep);
    }
    visiting.delete(e.eventId);
    done.add(e.eventId);
    out.push(e);
  };
  // Depth first gives a stable, mostly-sorted start; the recursion fixes what depth gets wrong.
  for (const e of [...batch].sort((a, b) => a.pdu.depth - b.pdu.depth)) visit(e);
  return out;
}

