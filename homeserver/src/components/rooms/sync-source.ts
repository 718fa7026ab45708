import type { Knex } from 'knex';
import { stateKey, type PDU, type StateMap } from '../../core/events.js';
import type { JsonObject } from '../../core/json.js';
import type { PushRuleset } from '../../core/push-rules/defaults.js';
import { notificationLevel, type PushContext } from '../../core/push-rules/evaluate.js';
import type { RoomVersion } from '../../core/room-versions.js';
import type { Viewer } from './client-events.js';
import { matchesFilter, type RoomEventFilter } from './event-filter.js';
import { roomPower, type RoomPower } from './permissions.js';
import type { RoomReader } from './reader.js';
import type { CurrentState } from './state/current-state.js';
import type { StateGroups } from './state/state-groups.js';
import type { EventStore, StoredEvent } from './storage/events.js';
import { formatTopological } from './tokens.js';
import { HistoryVisibility } from './visibility.js';
import { LruCache } from '../../util/lru.js';
import type { RawJson } from '../../util/raw-json.js';
import type { RecentEvents } from './recent-events.js';
import { pairKey } from '../../util/pair-key.js';
import { MemberRows } from './member-rows.js';
import { statePositions, type StatePosition } from './storage/state-positions.js';
import { Coalescer } from '../../util/coalesce.js';
import { unreadCandidates } from './storage/unread-candidates.js';
import { countNotifying } from './unread-count.js';
import type { UnreadCheckpoints, UnreadCounts } from './unread-checkpoints.js';
import { groupBy } from '../../util/group-by.js';

export interface MembershipRow {
  roomId: string;
  membership: string;
  eventId: string;
  streamOrdering: number;
  forgotten: boolean;
}

export interface TimelineSlice {
  /** Oldest first. */
  events: StoredEvent[];
  limited: boolean;
  /** A /messages token that continues backwards from the first event. */
  prevBatch: string;
}

/** Ranges of events up to this long are loaded once for all the syncs asking at one moment. */
const SHARED_RANGE_MAX = 256;

/** Types whose current state goes with an invite or knock so clients can show the room. */
const STRIPPED_TYPES = ['m.room.create', 'm.room.join_rules', 'm.room.name', 'm.room.avatar', 'm.room.canonical_alias', 'm.room.encryption', 'm.room.topic'];

/** A room whose unread counts are read from the database: counted from `from` on, on top of the counts given. */
interface FromDatabase {
  roomId: string;
  after: number;
  from: number;
  notifications: number;
  highlights: number;
}

/**
 * The reads sync makes of rooms, by stream position. Lives in the rooms component because these
 * are rooms' tables; sync only sees events, states and positions.
 */
export class RoomSyncSource {
  /** Per room and user: the counts up to `upTo` after read position `after`, under the ruleset `rules`. */
  private readonly unread = new LruCache<string, UnreadCounts>(100_000);
  private readonly membershipCache = new LruCache<string, MembershipRow[]>(50_000);
  /** Joins seen since start, newest last: who began sharing a room with whom, without a query. */
  private readonly recentJoins: Array<{ stream: number; roomId: string; userId: string }> = [];
  /** recentJoins holds every join after this position. */
  private joinsCompleteFrom: number;
  /** The newest stream position in recentJoins: a sync from at or after it has no joins to look for. */
  private latestJoin = Number.NEGATIVE_INFINITY;
  /** Per room: the members a summary is made of (dropped on any membership event of the room). */
  private readonly members: MemberRows;

  constructor(
    private readonly db: Knex,
    private readonly events: EventStore,
    private readonly groups: StateGroups,
    private readonly current: CurrentState,
    private readonly reader: RoomReader,
    private readonly recent: RecentEvents,
    /** Counts kept across restarts; without it, counts live in memory only. */
    private readonly checkpoints?: UnreadCheckpoints,
  ) {
    this.joinsCompleteFrom = recent.startPosition;
    this.members = new MemberRows(db);
  }

  /** A user's memberships; cached until a member event for the user is persisted. */
  async memberships(userId: string): Promise<MembershipRow[]> {
    const hit = this.membershipCache.get(userId);
    if (hit) return hit;
    const generation = this.membershipGeneration;
    const rows = (await this.db('room_memberships').select('room_id', 'membership', 'event_id', 'stream_ordering', 'forgotten').where('user_id', userId)) as Array<{
      room_id: string;
      membership: string;
      event_id: string;
      stream_ordering: number;
      forgotten: boolean;
    }>;
    const list = rows.map((r) => ({ roomId: r.room_id, membership: r.membership, eventId: r.event_id, streamOrdering: Number(r.stream_ordering), forgotten: r.forgotten }));
    if (generation === this.membershipGeneration) this.membershipCache.set(userId, list);
    return list;
  }

  private membershipGeneration = 0;

  /** Called for every persisted event (and on forget): drops cached memberships it changes. */
  observe(events: readonly StoredEvent[]): void {
    for (const e of events) {
      if (e.pdu.type === 'm.room.member' && e.pdu.state_key !== undefined) {
        if (e.pdu.content.membership === 'join' && !e.outlier) {
          this.recentJoins.push({ stream: e.streamOrdering, roomId: e.roomId, userId: e.pdu.state_key });
          this.latestJoin = Math.max(this.latestJoin, e.streamOrdering);
          if (this.recentJoins.length > 20_000) this.joinsCompleteFrom = this.recentJoins.splice(0, 5_000).at(-1)!.stream;
        }
        this.members.forget(e.roomId);
        this.membershipGeneration++;
        this.membershipCache.delete(e.pdu.state_key);
      }
    }
  }

  forgetMemberships(userId: string): void {
    this.membershipGeneration++;
    this.membershipCache.delete(userId);
  }

  async version(roomId: string): Promise<RoomVersion | undefined> {
    return (await this.current.info(roomId))?.version;
  }

  /** Which of `roomIds` have timeline events in (from, to]. One query for all rooms. */
  async roomsWithEvents(roomIds: readonly string[], from: number, to: number): Promise<Set<string>> {
    if (roomIds.length === 0 || to <= from) return new Set();
    const known = this.recent.roomsWithEvents(roomIds, from, to);
    if (known) return known;
    const rows = (await this.db('events')
      .distinct('room_id')
      .whereIn('room_id', [...roomIds])
      .andWhere('stream_ordering', '>', from)
      .andWhere('stream_ordering', '<=', to)
      .andWhere('outlier', false)
      .whereNull('rejected_reason')
      .andWhere('soft_failed', false)) as Array<{ room_id: string }>;
    return new Set(rows.map((r) => r.room_id));
  }

  /**
   * The newest `limit` timeline events in (from, to] that the user may see and the filter keeps,
   * oldest first; `limited` when older ones in the range were left out.
   */
  async timeline(roomId: string, userId: string, from: number, to: number, limit: number, filter: RoomEventFilter): Promise<TimelineSlice> {
    const vis = await HistoryVisibility.load(this.db, roomId, userId);
    const keep = (e: StoredEvent): boolean => e.rejectedReason === null && !e.softFailed && vis.canSee(e) && matchesFilter(filter, e);
    const ids = this.recent.range(roomId, from, to);
    // No more events than the paged walk below would load: a first sync of a long history must not
    // load (and push out of the event cache) what its timeline leaves out.
    if (ids && ids.length <= SHARED_RANGE_MAX && ids.length <= 2 * Math.max(limit, 1)) {
      // The usual incremental sync: the few new events, loaded once for every member woken.
      const loaded = await this.rangeEvents(roomId, from, to, ids);
      const picked: StoredEvent[] = [];
      const limited = pickNewest(ids, loaded, keep, limit, picked);
      return newestFirstSlice(picked, limited, to);
    }
    if (ids) {
      // Newest first, a page at a time: only as many events as the limit needs are loaded.
      const picked: StoredEvent[] = [];
      let end = ids.length;
      let limited = false;
      const page = Math.max(limit, 1) * 2;
      // First just one more than the limit, which settles it when all are kept, as they usually are.
      let size = limit + 1;
      while (end > 0 && !limited) {
        const chunk = ids.slice(Math.max(0, end - size), end);
        end -= chunk.length;
        limited = pickNewest(chunk, await this.events.getMany(chunk), keep, limit, picked);
        size = page;
      }
      return newestFirstSlice(picked, limited, to);
    }
    const picked: StoredEvent[] = [];
    let cursor = to;
    let limited = false;
    // Scan newest first in pages until enough visible events are found or the range ends.
    const pageSize = Math.max(limit, 1) * 2;
    for (let page = 0; page < 20; page++) {
      const ids = await this.events.idsByStreamOrdering(roomId, from, cursor, pageSize, 'desc');
      // The newest one more than the limit still needs first; the rest of the page only when some
      // of those were not kept.
      const needed = limit + 1 - picked.length;
      for (const part of [ids.slice(0, needed), ids.slice(needed)]) {
        if (limited || part.length === 0) break;
        const loaded = await this.events.getMany(part);
        for (const id of part) {
          const e = loaded.get(id);
          if (!e) continue;
          cursor = e.streamOrdering - 1;
          if (!keep(e)) continue;
          if (picked.length >= limit) {
            limited = true;
            break;
          }
          picked.push(e);
        }
      }
      if (limited || ids.length < pageSize || cursor <= from) break;
    }
    if (!limited && picked.length >= limit && cursor > from) limited = true;
    picked.reverse();
    const first = picked[0];
    const prevBatch = first ? formatTopological({ depth: first.depth, stream: first.streamOrdering }) : `s${to}`;
    return { events: picked, limited, prevBatch };
  }

  /**
   * The events with IDs `ids` (the room's events in (from, to]), loaded once per turn of the event
   * loop: the members one change wakes all ask for the same range, for their timeline and for
   * their unread counts. Forgotten right after, so nothing read here outlives the moment.
   */
  private rangeEvents(roomId: string, from: number, to: number, ids: readonly string[]): Promise<Map<string, StoredEvent>> {
    const key = `${roomId}\u0000${from}\u0000${to}`;
    let hit = this.ranges.get(key);
    if (!hit) {
      if (this.ranges.size === 0) setImmediate(() => this.ranges.clear());
      hit = this.events.getMany(ids);
      this.ranges.set(key, hit);
    }
    return hit;
  }

  private readonly ranges = new Map<string, Promise<Map<string, StoredEvent>>>();

  /** The room's state just after stream position `at` (the state after the newest event at or before it). */
  async stateMapAt(roomId: string, at: number): Promise<StateMap> {
    const p = await this.positions.load(`${roomId}\u0000${at}`, { roomId, at });
    if (!p) return new Map();
    // At the room's newest event the state is the resolved current state, which after a fork of
    // the DAG (federation) is not the state after any one event.
    if (p.latest === p.stream) return this.currentStateMap(roomId);
    return this.groups.get(p.stateAfter);
  }

  /** State positions that concurrent readers (the rooms of one sync) ask for, one query per stream position. */
  private readonly positions = new Coalescer<{ roomId: string; at: number }, StatePosition>(async (wanted) => {
    const out = new Map<string, StatePosition>();
    const positions = [...groupBy(wanted.values(), (w) => String(w.at)).values()].map(async (same) => {
      const at = same[0]!.at;
      for (const [roomId, p] of await statePositions(this.db, same.map((w) => w.roomId), at)) out.set(`${roomId}\u0000${at}`, p);
    });
    await Promise.all(positions);
    return out;
  });

  /** The state before a timeline event (what a timeline starting there is shown on top of). */
  async stateBefore(e: StoredEvent): Promise<StateMap> {
    return e.stateBefore === null ? new Map() : this.groups.get(e.stateBefore);
  }

  async currentStateMap(roomId: string): Promise<StateMap> {
    return (await this.current.info(roomId))?.state ?? new Map();
  }

  /** State events of `state` that are not the same in `base` (all of them when base is empty). */
  async delta(state: StateMap, base: StateMap | undefined, filter?: (type: string, key: string) => boolean): Promise<StoredEvent[]> {
    const ids: string[] = [];
    for (const [k, id] of state) {
      if (base && base.get(k) === id) continue;
      if (filter) {
        const i = k.indexOf('\u0000');
        if (!filter(k.slice(0, i), k.slice(i + 1))) continue;
      }
      ids.push(id);
    }
    const loaded = await this.events.getMany(ids);
    return ids.map((id) => loaded.get(id)).filter((e): e is StoredEvent => e !== undefined);
  }

  async getEvents(ids: readonly string[]): Promise<Map<string, StoredEvent>> {
    return this.events.getMany(ids);
  }

  format(events: readonly StoredEvent[], rv: RoomVersion, viewer: Viewer): Promise<JsonObject[]> {
    return this.reader.format(events, rv, viewer);
  }

  /** format() as JSON text ready to splice into a response: the timeline each member is sent. */
  formatJson(events: readonly StoredEvent[], rv: RoomVersion, viewer: Viewer): Promise<RawJson> {
    return this.reader.formatJson(events, rv, viewer);
  }

  /** Stripped state for an invite or knock: enough for a client to show the room, from its current state. */
  async strippedState(roomId: string, memberEvent: StoredEvent | undefined): Promise<JsonObject[]> {
    const state = await this.currentStateMap(roomId);
    if (state.size === 0 && memberEvent?.pdu.state_key) {
      // A room of other servers we are only invited to (or knocking on): their stripped state.
      const row = (await this.db('remote_memberships').select('stripped_state').where({ room_id: roomId, user_id: memberEvent.pdu.state_key }).first()) as { stripped_state: string } | undefined;
      if (row) {
        const given = (JSON.parse(row.stripped_state) as JsonObject[]).filter((e) => !(e.type === 'm.room.member' && e.state_key === memberEvent.pdu.state_key));
        return [...given, { type: 'm.room.member', state_key: memberEvent.pdu.state_key, sender: memberEvent.pdu.sender, content: memberEvent.pdu.content, event_id: memberEvent.eventId, origin_server_ts: memberEvent.pdu.origin_server_ts }];
      }
    }
    const ids = STRIPPED_TYPES.map((t) => state.get(stateKey(t, ''))).filter((x): x is string => x !== undefined);
    const loaded = await this.events.getMany(ids);
    const stripped: JsonObject[] = [];
    for (const id of ids) {
      const e = loaded.get(id);
      if (e) stripped.push({ type: e.pdu.type, state_key: e.pdu.state_key ?? '', sender: e.pdu.sender, content: e.pdu.content });
    }
    if (memberEvent) {
      stripped.push({
        type: 'm.room.member',
        state_key: memberEvent.pdu.state_key ?? '',
        sender: memberEvent.pdu.sender,
        content: memberEvent.pdu.content,
        event_id: memberEvent.eventId,
        origin_server_ts: memberEvent.pdu.origin_server_ts,
      });
    }
    return stripped;
  }

  /** Joined and invited member counts, and up to five other members to name the room after. */
  async summary(roomId: string, userId: string): Promise<{ joined: number; invited: number; heroes: string[] }> {
    const rows = await this.members.get(roomId);
    const joined = rows.filter((r) => r.membership === 'join');
    const invited = rows.filter((r) => r.membership === 'invite');
    const others = [...joined, ...invited].map((r) => r.user_id).filter((u) => u !== userId).sort();
    const heroes = others.length > 0 ? others.slice(0, 5) : rows.filter((r) => r.user_id !== userId).map((r) => r.user_id).sort().slice(0, 5);
    return { joined: joined.length, invited: invited.length, heroes };
  }

  /**
   * Unread counts after the user's read position: the events of others that the user's push
   * rules make notify, and of those the ones they highlight. Counted incrementally: a cached
   * count for the same read position and the same ruleset only adds what came since; a changed
   * ruleset (a new object) counts again from the read position.
   */
  async unreadCounts(roomId: string, userId: string, afterStream: number, upTo: number, rules: PushRuleset): Promise<{ notifications: number; highlights: number }> {
    const key = pairKey(roomId, userId);
    const cached = this.unread.get(key);
    const reuse = cached && cached.after === afterStream && cached.rules === rules && cached.upTo <= upTo;
    const from = reuse ? cached.upTo : afterStream;
    let notifications = reuse ? cached.notifications : 0;
    let highlights = reuse ? cached.highlights : 0;
    const candidates: Array<Readonly<PDU>> = [];
    const ids = upTo > from ? this.recent.range(roomId, from, upTo) : [];
    if (ids) {
      const loaded = ids.length <= SHARED_RANGE_MAX ? await this.rangeEvents(roomId, from, upTo, ids) : await this.events.getMany(ids);
      for (const id of ids) {
        const e = loaded.get(id);
        if (!e || e.pdu.sender === userId || e.rejectedReason !== null || e.softFailed) continue;
        candidates.push(e.pdu);
      }
    } else if (upTo > from) {
      candidates.push(...((await unreadCandidates(this.db, [{ roomId, after: from }], userId, upTo)).get(roomId) ?? []));
    }
    if (candidates.length > 0) {
      const added = countNotifying(rules, candidates, await this.pushContext(roomId, userId));
      notifications += added.notifications;
      highlights += added.highlights;
    }
    this.rememberUnread(roomId, userId, key, { after: afterStream, upTo: Math.max(upTo, from), notifications, highlights, rules });
    return { notifications, highlights };
  }

  /**
   * unreadCounts for many rooms of one user, with the same results and the same cache. A room
   * whose new events are all in memory goes through unreadCounts; the rest, whose events
   * unreadCounts would read with a query each (after a restart, from a read position older than
   * that, or not in the event cache), are read with one query for all of them.
   */
  async unreadCountsMany(
    rooms: ReadonlyArray<{ roomId: string; after: number }>,
    userId: string,
    upTo: number,
    rules: PushRuleset,
  ): Promise<Map<string, { notifications: number; highlights: number }>> {
    const out = new Map<string, { notifications: number; highlights: number }>();
    const fromDatabase: FromDatabase[] = [];
    /** Of those, the ones nothing was counted for in memory: a checkpoint may stand in. */
    const uncounted: FromDatabase[] = [];
    const inMemory: Array<{ roomId: string; after: number }> = [];
    for (const room of rooms) {
      const prior = this.unread.get(pairKey(room.roomId, userId));
      const counted = prior !== undefined && prior.after === room.after && prior.rules === rules && prior.upTo <= upTo ? prior : undefined;
      const from = counted?.upTo ?? room.after;
      const oldest = upTo > from ? this.recent.oldestIn(room.roomId, from, upTo) : null;
      // Events not loaded yet are cheaper to count from the database's JSON than to load into the
      // event cache (a first sync would push out the very events its timelines show). The cache
      // drops the oldest first, so a range whose oldest event is there is there as a whole.
      if (oldest === null || (oldest !== undefined && this.events.peek(oldest) !== undefined)) inMemory.push(room);
      else {
        const r = { ...room, from, notifications: counted?.notifications ?? 0, highlights: counted?.highlights ?? 0 };
        fromDatabase.push(r);
        if (!counted) uncounted.push(r);
      }
    }
    const [candidates] = await Promise.all([
      fromDatabase.length === 0
        ? new Map<string, PDU[]>()
        : this.startFromCheckpoints(uncounted, userId, upTo, rules).then(() => unreadCandidates(this.db, fromDatabase.map((r) => ({ roomId: r.roomId, after: r.from })), userId, upTo)),
      ...inMemory.map(async (r) => out.set(r.roomId, await this.unreadCounts(r.roomId, userId, r.after, upTo, rules))),
    ]);
    await Promise.all(
      fromDatabase.map(async (r) => {
        const pdus = candidates.get(r.roomId) ?? [];
        const added = pdus.length === 0 ? { notifications: 0, highlights: 0 } : countNotifying(rules, pdus, await this.pushContext(r.roomId, userId));
        const counts = { notifications: r.notifications + added.notifications, highlights: r.highlights + added.highlights };
        this.rememberUnread(r.roomId, userId, pairKey(r.roomId, userId), { after: r.after, upTo, ...counts, rules });
        out.set(r.roomId, counts);
      }),
    );
    return out;
  }

  /**
   * Rooms about to be counted from the database with nothing counted in memory (after a restart,
   * say) start from their checkpoint, when one was made for the same read position and rules.
   */
  private async startFromCheckpoints(uncounted: FromDatabase[], userId: string, upTo: number, rules: PushRuleset): Promise<void> {
    if (!this.checkpoints || uncounted.length === 0) return;
    const saved = await this.checkpoints.load(userId, uncounted.map((r) => r.roomId), rules);
    for (const r of uncounted) {
      const c = saved.get(r.roomId);
      if (!c || c.after !== r.after || c.upTo > upTo || c.upTo < r.after) continue;
      r.from = c.upTo;
      r.notifications = c.notifications;
      r.highlights = c.highlights;
    }
  }

  /**
   * Updated in place when there is an entry: a new one per member per message would outlive the
   * young generation (it stays cached) and turn into old-generation garbage at the member's next sync.
   */
  private rememberUnread(roomId: string, userId: string, key: string, entry: UnreadCounts): void {
    let kept = this.unread.get(key);
    if (kept) Object.assign(kept, entry);
    else this.unread.set(key, (kept = entry));
    this.checkpoints?.note(key, roomId, userId, kept);
  }

  /** What push rules read of a room besides the event: its member count, the user's name there, power levels. */
  private async pushContext(roomId: string, userId: string): Promise<PushContext> {
    // Kept while the room's state (a new map on every change) and its member rows stay the same.
    const state = (await this.current.info(roomId))?.state;
    const rows = await this.members.get(roomId);
    const key = pairKey(roomId, userId);
    const hit = this.pushContexts.get(key);
    if (hit && hit.state === state && hit.rows === rows) return hit.context;
    const context = await this.makePushContext(roomId, userId, rows);
    if (state) this.pushContexts.set(key, { state, rows, context });
    return context;
  }

  private async makePushContext(roomId: string, userId: string, rows: ReadonlyArray<{ membership: string }>): Promise<PushContext> {
    const [member, power] = await Promise.all([this.current.event(roomId, 'm.room.member', userId), this.power(roomId)]);
    const name = member?.pdu.content.displayname;
    const levels = new Map<string, number>();
    return {
      userId,
      displayName: typeof name === 'string' ? name : undefined,
      memberCount: rows.reduce((n, r) => (r.membership === 'join' ? n + 1 : n), 0),
      powerLevel(sender) {
        let level = levels.get(sender);
        if (level === undefined) levels.set(sender, (level = power?.userLevel(sender) ?? 0));
        return level;
      },
      notificationLevel: (k) => notificationLevel(power?.powerLevels?.pdu.content, k),
    };
  }

  /**
   * The room's power levels, read once per state of the room rather than once per member and
   * sync: the current state map is a new object whenever the state changes (it is shared and never
   * changed in place), so it keys what was read from it.
   */
  private async power(roomId: string): Promise<RoomPower | undefined> {
    const state = (await this.current.info(roomId))?.state;
    if (!state) return undefined;
    let power = this.powerByState.get(state);
    if (!power) {
      power = roomPower(this.current, roomId);
      this.powerByState.set(state, power);
      // A failed read is not remembered; the next sync tries again.
      power.catch(() => this.powerByState.delete(state));
    }
    return power;
  }

  private readonly powerByState = new WeakMap<StateMap, Promise<RoomPower | undefined>>();
  /** Per room and user: the push context, with the state map and member rows it was made from. */
  private readonly pushContexts = new LruCache<string, { state: StateMap; rows: ReadonlyArray<{ membership: string }>; context: PushContext }>(50_000);

  /** Everyone who shares a joined room with the user: whose presence they may see. */
  async usersSharingRooms(userId: string): Promise<Set<string>> {
    // Asked by every syncing connection whenever presence moves: cached until any membership changes.
    const hit = this.sharingCache.get(userId);
    if (hit && hit.generation === this.membershipGeneration) return new Set(hit.users);
    const generation = this.membershipGeneration;
    const users = await this.querySharing(userId);
    this.sharingCache.set(userId, { generation, users });
    return new Set(users);
  }

  private readonly sharingCache = new LruCache<string, { generation: number; users: ReadonlySet<string> }>(50_000);

  private async querySharing(userId: string): Promise<Set<string>> {
    const rows = (await this.db('room_memberships as mine')
      .join('room_memberships as other', 'other.room_id', 'mine.room_id')
      .distinct('other.user_id')
      .where('mine.user_id', userId)
      .andWhere('mine.membership', 'join')
      .andWhere('other.membership', 'join')) as Array<{ user_id: string }>;
    return new Set(rows.map((r) => r.user_id));
  }

  /**
   * Users who began sharing a joined room with `userId` in (from, to]: they joined one of its
   * rooms then, or it joined a room they are in.
   */
  async newlySharing(userId: string, joinedRooms: readonly string[], from: number, to: number): Promise<string[]> {
    if (joinedRooms.length === 0) return [];
    const mine = (await this.memberships(userId)).filter((m) => m.membership === 'join');
    const newlyJoined = mine.filter((m) => m.streamOrdering > from && m.streamOrdering <= to).map((m) => m.roomId);
    const rooms = new Set(joinedRooms);
    const out = new Set<string>();
    if (from >= this.joinsCompleteFrom) {
      // From memory: the usual incremental sync costs no query.
      // Asked by every connection on every push while presence is on: most often no one joined since.
      if (from < this.latestJoin) for (const j of this.recentJoins) if (j.stream > from && j.stream <= to && rooms.has(j.roomId)) out.add(j.userId);
    } else {
      const rows = (await this.db('room_memberships')
        .distinct('user_id')
        .whereIn('room_id', joinedRooms)
        .andWhere('membership', 'join')
        .andWhere('stream_ordering', '>', from)
        .andWhere('stream_ordering', '<=', to)) as Array<{ user_id: string }>;
      for (const r of rows) out.add(r.user_id);
    }
    if (newlyJoined.length > 0) {
      const members = (await this.db('room_memberships').distinct('user_id').whereIn('room_id', newlyJoined).andWhere('membership', 'join')) as Array<{ user_id: string }>;
      for (const r of members) out.add(r.user_id);
    }
    out.delete(userId);
    return [...out];
  }

  /** Stream position of an event, for receipts. */
  async streamOrderingOf(eventId: string): Promise<number | undefined> {
    return (await this.events.get(eventId))?.streamOrdering;
  }
}

/**
 * Adds to `picked` (newest first) the events of `ids` (oldest first) that `keep` accepts, newest
 * first, until `limit`; returns whether an accepted event was left out for the limit.
 */
function pickNewest(ids: readonly string[], loaded: Map<string, StoredEvent>, keep: (e: StoredEvent) => boolean, limit: number, picked: StoredEvent[]): boolean {
  for (let i = ids.length - 1; i >= 0; i--) {
    const e = loaded.get(ids[i]!);
    if (!e || !keep(e)) continue;
    if (picked.length >= limit) return true;
    picked.push(e);
  }
  return false;
}

/** A timeline slice from events picked newest first. */
function newestFirstSlice(picked: StoredEvent[], limited: boolean, to: number): TimelineSlice {
  picked.reverse();
  const first = picked[0];
  return { events: picked, limited, prevBatch: first ? formatTopological({ depth: first.depth, stream: first.streamOrdering }) : `s${to}` };
}
