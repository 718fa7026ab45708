import type { Knex } from 'knex';
import type { JsonObject } from '../../core/json.js';
import type { Requester } from '../../http/auth.js';
import { errors } from '../../http/errors.js';
import { formatClientEvents, formatClientEventsJson, type Viewer } from './client-events.js';
import type { RawJson } from '../../util/raw-json.js';
import { matchesFilter, type RoomEventFilter } from './event-filter.js';
import type { EventStore, StoredEvent } from './storage/events.js';
import type { StateGroups } from './state/state-groups.js';
import type { CurrentState } from './state/current-state.js';
import { formatTopological, parsePaginationToken, type TopologicalToken } from './tokens.js';
import { HistoryVisibility } from './visibility.js';
import type { RoomVersion } from '../../core/room-versions.js';
import type { RelationsReader } from './relations.js';

const MAX_SCAN_PAGES = 10;

/** Reads of rooms for our users, with history visibility applied to every event returned. */
export class RoomReader {
  constructor(
    private readonly db: Knex,
    private readonly events: EventStore,
    private readonly groups: StateGroups,
    private readonly current: CurrentState,
    private readonly relations: RelationsReader,
  ) {}

  /**
   * Fetches history older than what we hold from other servers in the room; true when something
   * new was stored. Set by federation's room layer.
   */
  backfill: ((roomId: string, limit: number) => Promise<boolean>) | undefined;

  private async version(roomId: string): Promise<RoomVersion> {
    const info = await this.current.info(roomId);
    if (!info) throw errors.forbidden('You are not in this room');
    return info.version;
  }

  async format(events: readonly StoredEvent[], rv: RoomVersion, viewer: Viewer): Promise<JsonObject[]> {
    const relations = await this.relations.aggregationsFor(events, viewer.userId);
    return formatClientEvents(this.db, this.events, events, rv, viewer, relations);
  }

  /** format() as JSON text: what sync sends to every member is serialized once (client-events.ts). */
  async formatJson(events: readonly StoredEvent[], rv: RoomVersion, viewer: Viewer): Promise<RawJson> {
    const relations = await this.relations.aggregationsFor(events, viewer.userId);
    return formatClientEventsJson(this.db, this.events, events, rv, viewer, relations);
  }

  /**
   * The state a user may see: the current state while joined (or world-readable), else the state
   * when they left; nothing at all if they never were in the room.
   */
  private async visibleState(userId: string, roomId: string): Promise<{ events: StoredEvent[]; rv: RoomVersion }> {
    const rv = await this.version(roomId);
    const membership = await this.current.membership(roomId, userId);
    const vis = await HistoryVisibility.load(this.db, roomId, userId);
    if (membership === 'join' || vis.canPeek()) return { events: await this.current.all(roomId), rv };
    const own = await this.current.event(roomId, 'm.room.member', userId);
    if ((membership === 'leave' || membership === 'ban') && own?.stateAfter != null) {
      // A rejected invite gives no access to state; having been joined does.
      if (vis.everJoined()) {
        const state = await this.groups.get(own.stateAfter);
        const loaded = await this.events.getMany(state.values());
        return { events: [...loaded.values()], rv };
      }
    }
    throw errors.forbidden('You are not allowed to see the state of this room');
  }

  async stateForUser(requester: Requester, roomId: string): Promise<JsonObject[]> {
    const { events, rv } = await this.visibleState(requester.userId, roomId);
    return formatClientEvents(this.db, this.events, events, rv, requester);
  }

  async stateEventForUser(requester: Requester, roomId: string, type: string, key: string): Promise<JsonObject | undefined> {
    const { events, rv } = await this.visibleState(requester.userId, roomId);
    const e = events.find((x) => x.pdu.type === type && (x.pdu.state_key ?? '') === key);
    if (!e) return undefined;
    const [formatted] = await formatClientEvents(this.db, this.events, [e], rv, requester);
    return formatted;
  }

  /** GET /rooms/{roomId}/event/{eventId}: 404 both for unknown and for invisible events. */
  async event(requester: Requester, roomId: string, eventId: string): Promise<JsonObject> {
    const e = await this.events.get(eventId);
    if (!e || e.roomId !== roomId || e.outlier || e.rejectedReason !== null || e.softFailed) throw errors.notFound('Event not found.');
    const vis = await HistoryVisibility.load(this.db, roomId, requester.userId);
    if (!vis.canSee(e)) throw errors.notFound('Event not found.');
    const rv = await this.version(roomId);
    return (await this.format([e], rv, requester))[0]!;
  }

  /** The topological position just after the newest event a user may page back from. */
  private async endPosition(roomId: string, userId: string): Promise<TopologicalToken> {
    const row = (await this.db('events')
      .select('depth', 'stream_ordering')
      .where('room_id', roomId)
      .andWhere('outlier', false)
      .whereNull('rejected_reason')
      .andWhere('soft_failed', false)
      .orderBy([{ column: 'depth', order: 'desc' }, { column: 'stream_ordering', order: 'desc' }])
      .first()) as { depth: number; stream_ordering: number } | undefined;
    void userId;
    return row ? { depth: Number(row.depth), stream: Number(row.stream_ordering) + 1 } : { depth: 0, stream: 0 };
  }

  private async fromStreamPosition(roomId: string, position: number): Promise<TopologicalToken> {
    const row = (await this.db('events')
      .select('depth', 'stream_ordering')
      .where('room_id', roomId)
      .andWhere('outlier', false)
      .whereNull('rejected_reason')
      .andWhere('soft_failed', false)
      .andWhere('stream_ordering', '<=', position)
      .orderBy([{ column: 'depth', order: 'desc' }, { column: 'stream_ordering', order: 'desc' }])
      .first()) as { depth: number; stream_ordering: number } | undefined;
    return row ? { depth: Number(row.depth), stream: Number(row.stream_ordering) + 1 } : { depth: 0, stream: 0 };
  }

  /** GET /rooms/{roomId}/messages */
  async messages(
    requester: Requester,
    roomId: string,
    options: { from?: string | undefined; to?: string | undefined; dir: 'b' | 'f'; limit: number; filter: RoomEventFilter },
  ): Promise<JsonObject> {
    const rv = await this.version(roomId);
    const membership = await this.current.membership(roomId, requester.userId);
    const vis = await HistoryVisibility.load(this.db, roomId, requester.userId);
    if (membership === undefined && !vis.canPeek()) throw errors.forbidden('You are not in this room');
    const toPosition = async (token: string): Promise<TopologicalToken> => {
      const parsed = parsePaginationToken(token);
      return parsed.kind === 'topological' ? parsed.token : this.fromStreamPosition(roomId, parsed.position);
    };
    let from: TopologicalToken = options.from
      ? await toPosition(options.from)
      : options.dir === 'b'
        ? await this.endPosition(roomId, requester.userId)
        : { depth: 0, stream: 0 };
    const to = options.to ? await toPosition(options.to) : undefined;
    const start = from;
    const limit = options.limit;
    const chunk: StoredEvent[] = [];
    let exhausted = false;
    const scan = async (): Promise<void> => {
      exhausted = false;
      for (let page = 0; page < MAX_SCAN_PAGES && chunk.length < limit; page++) {
        const batch = await this.events.page(roomId, from, options.dir, limit, to);
        for (const e of batch) {
          from = { depth: e.depth, stream: e.streamOrdering };
          if (vis.canSee(e) && matchesFilter(options.filter, e)) chunk.push(e);
          if (chunk.length >= limit) break;
        }
        if (batch.length < limit) {
          exhausted = chunk.length < limit || batch.length === 0;
          break;
        }
      }
    };
    await scan();
    // Past the oldest event we hold, servers that have been in the room longer may have more.
    if (exhausted && options.dir === 'b' && !to && this.backfill && (await this.backfill(roomId, limit - chunk.length))) await scan();
    const result: JsonObject = {
      chunk: await this.format(chunk, rv, requester),
      start: formatTopological(start),
    };
    if (!exhausted) result.end = formatTopological(from);
    if (options.filter.lazy_load_members) {
      result.state = await this.membersFor(roomId, chunk, rv, requester);
    }
    return result;
  }

  /** The current member events of the senders of `events` (lazy-loading members). */
  async membersFor(roomId: string, events: readonly StoredEvent[], rv: RoomVersion, viewer: Viewer): Promise<JsonObject[]> {
    const senders = [...new Set(events.map((e) => e.pdu.sender))];
    const members = (await Promise.all(senders.map((s) => this.current.event(roomId, 'm.room.member', s)))).filter((e): e is StoredEvent => e !== undefined);
    return formatClientEvents(this.db, this.events, members, rv, viewer);
  }

  /** GET /rooms/{roomId}/context/{eventId} */
  async context(requester: Requester, roomId: string, eventId: string, limit: number, filter: RoomEventFilter): Promise<JsonObject> {
    const target = await this.events.get(eventId);
    if (!target || target.roomId !== roomId || target.outlier || target.rejectedReason !== null) throw errors.notFound('Event not found.');
    const vis = await HistoryVisibility.load(this.db, roomId, requester.userId);
    if (!vis.canSee(target)) throw errors.notFound('Event not found.');
    const rv = await this.version(roomId);
    const here = { depth: target.depth, stream: target.streamOrdering };
    const beforeCount = Math.floor(limit / 2);
    const afterCount = limit - beforeCount;
    const pick = async (dir: 'b' | 'f', n: number): Promise<{ events: StoredEvent[]; last: TopologicalToken }> => {
      const out: StoredEvent[] = [];
      let pos = here;
      for (let page = 0; page < MAX_SCAN_PAGES && out.length < n; page++) {
        const batch = await this.events.page(roomId, pos, dir, Math.max(n, 1));
        for (const e of batch) {
          pos = { depth: e.depth, stream: e.streamOrdering };
          if (vis.canSee(e) && matchesFilter(filter, e)) out.push(e);
          if (out.length >= n) break;
        }
        if (batch.length < Math.max(n, 1)) break;
      }
      return { events: out, last: pos };
    };
    const before = beforeCount > 0 ? await pick('b', beforeCount) : { events: [], last: here };
    const after = afterCount > 0 ? await pick('f', afterCount) : { events: [], last: here };
    const stateGroup = target.stateAfter ?? target.stateBefore;
    const state = stateGroup !== null ? await this.groups.get(stateGroup) : new Map<string, string>();
    let stateEvents = [...(await this.events.getMany(state.values())).values()];
    if (filter.lazy_load_members) {
      const senders = new Set([target, ...before.events, ...after.events].map((e) => e.pdu.sender));
      stateEvents = stateEvents.filter((e) => e.pdu.type !== 'm.room.member' || senders.has(e.pdu.state_key ?? ''));
    }
    const [event] = await this.format([target], rv, requester);
    return {
      event: event!,
      events_before: await this.format(before.events, rv, requester),
      events_after: await this.format(after.events, rv, requester),
      start: formatTopological(before.last),
      end: formatTopological({ depth: after.last.depth, stream: after.last.stream }),
      state: await formatClientEvents(this.db, this.events, stateEvents, rv, requester),
    };
  }

  /** GET /rooms/{roomId}/members */
  async members(requester: Requester, roomId: string, options: { at?: string | undefined; membership?: string | undefined; notMembership?: string | undefined }): Promise<JsonObject[]> {
    const rv = await this.version(roomId);
    const { events } = await this.visibleState(requester.userId, roomId);
    let members = events.filter((e) => e.pdu.type === 'm.room.member');
    if (options.at) {
      const parsed = parsePaginationToken(options.at);
      const position = parsed.kind === 'topological' ? parsed.token : await this.fromStreamPosition(roomId, parsed.position);
      // The state at that point: the newest event at or before it.
      const [last] = await this.events.page(roomId, position, 'b', 1);
      if (last) {
        const group = last.stateAfter ?? last.stateBefore;
        if (group !== null) {
          const state = await this.groups.get(group);
          const ids = [...state].filter(([k]) => k.startsWith('m.room.member\u0000')).map(([, id]) => id);
          members = [...(await this.events.getMany(ids)).values()];
        }
      }
    }
    members = members.filter((e) => {
      const m = e.pdu.content.membership;
      if (options.membership && m !== options.membership) return false;
      if (options.notMembership && m === options.notMembership) return false;
      return true;
    });
    return formatClientEvents(this.db, this.events, members, rv, requester);
  }

  /** GET /rooms/{roomId}/joined_members */
  async joinedMembers(requester: Requester, roomId: string): Promise<JsonObject> {
    const { events } = await this.visibleState(requester.userId, roomId);
    const joined: JsonObject = {};
    for (const e of events) {
      if (e.pdu.type !== 'm.room.member' || e.pdu.content.membership !== 'join') continue;
      const entry: JsonObject = {};
      if (typeof e.pdu.content.displayname === 'string') entry.display_name = e.pdu.content.displayname;
      if (typeof e.pdu.content.avatar_url === 'string') entry.avatar_url = e.pdu.content.avatar_url;
      joined[e.pdu.state_key!] = entry;
    }
    return { joined };
  }

  async joinedRooms(userId: string): Promise<string[]> {
    const rows = (await this.db('room_memberships').select('room_id').where({ user_id: userId, membership: 'join' }).orderBy('room_id')) as Array<{ room_id: string }>;
    return rows.map((r) => r.room_id);
  }
}
