import type { JsonObject } from '../../core/json.js';
import type { StoredEvent } from '../rooms/storage/events.js';
import type { MembershipRow, TimelineSlice } from '../rooms/sync-source.js';
import type { SyncDeps, SyncRequest } from './deps.js';
import { DEFAULT_TIMELINE_LIMIT, roomIncluded, timelineFilter, typeAllowed, type SyncFilter } from './filter.js';
import type { SyncPositions } from './token.js';
import { embedRaw } from '../../util/raw-json.js';

export interface SyncResult {
  body: JsonObject;
  next: SyncPositions;
  /** Nothing a waiting client needs to see. */
  empty: boolean;
  /** The rooms the user is joined to: what a waiter listens on. */
  joinedRooms: Set<string>;
}

export async function currentPositions(deps: SyncDeps): Promise<SyncPositions> {
  const ext = (k: 'toDevice' | 'deviceLists') => deps.extensions.find((e) => e.stream === k)?.position() ?? 0;
  return {
    events: deps.rooms.currentStreamPosition(),
    accountData: await deps.users.accountDataPosition(),
    receipts: deps.receipts.stream.current(),
    presence: deps.presence.stream.current(),
    typing: deps.typing.current(),
    toDevice: ext('toDevice'),
    deviceLists: ext('deviceLists'),
  };
}

function joinedOf(memberships: readonly MembershipRow[]): Set<string> {
  return new Set(memberships.filter((m) => m.membership === 'join').map((m) => m.roomId));
}

/** The rooms the user is joined to: what a waiting sync listens on. */
export async function joinedRoomIds(deps: SyncDeps, userId: string): Promise<Set<string>> {
  return joinedOf(await deps.rooms.sync.memberships(userId));
}

/**
 * Builds one /sync response from `since` up to `to`. Every section reads its own stream between
 * the two positions, so a client following next_batch sees each change exactly once.
 */
export async function computeSync(deps: SyncDeps, req: SyncRequest, filter: SyncFilter, to: SyncPositions): Promise<SyncResult> {
  const { userId } = req;
  const since = req.since;
  const src = deps.rooms.sync;
  const memberships = await src.memberships(userId);
  const joinedRooms = joinedOf(memberships);
  const limit = filter.room?.timeline?.limit ?? DEFAULT_TIMELINE_LIMIT;
  const tFilter = timelineFilter(filter);
  // A typing position from before a restart means nothing now: treat it as never synced.
  const typingSince = since && since.typing <= to.typing ? since.typing : undefined;

  // Each stream is read only when its position moved past what the client has.
  const accountData = since && to.accountData <= since.accountData ? [] : await deps.users.accountDataSince(userId, since?.accountData ?? 0);
  const roomAccountData = new Map<string, JsonObject[]>();
  const globalAccountData: JsonObject[] = [];
  for (const change of accountData) {
    const event: JsonObject = { type: change.type, content: (change.content ?? {}) as JsonObject };
    if (change.roomId === null) {
      if (typeAllowed(filter.account_data, change.type)) globalAccountData.push(event);
    } else if (typeAllowed(filter.room?.account_data, change.type)) {
      const list = roomAccountData.get(change.roomId) ?? [];
      list.push(event);
      roomAccountData.set(change.roomId, list);
    }
  }

  const joinedList = [...joinedRooms].filter((r) => roomIncluded(filter, r));
  const withEvents = since ? await src.roomsWithEvents(joinedList, since.events, to.events) : new Set(joinedList);
  const receipts = await deps.receipts.forRooms(joinedList, since?.receipts ?? 0, to.receipts, userId);

  const changedRooms: Array<{ m: MembershipRow; typing: string[] | undefined; fresh: boolean }> = [];
  for (const m of memberships.filter((x) => x.membership === 'join' && roomIncluded(filter, x.roomId))) {
    const newlyJoined = since !== undefined && m.streamOrdering > since.events;
    const typing = deps.typing.changedSince(m.roomId, typingSince);
    const changed = !since || newlyJoined || withEvents.has(m.roomId) || typing !== undefined || receipts.has(m.roomId) || roomAccountData.has(m.roomId) || req.fullState;
    if (changed) changedRooms.push({ m, typing, fresh: !since || newlyJoined || req.fullState });
  }
  const notJoined = memberships.filter((m) => m.membership !== 'join' && roomIncluded(filter, m.roomId) && (!since || m.streamOrdering > since.events));
  /** A room the user is invited to, knocking on, or has left, as its section shows it; undefined when not shown. */
  const otherRoom = async (m: MembershipRow): Promise<{ kind: 'invite' | 'knock' | 'leave'; room: JsonObject } | undefined> => {
    if (m.membership === 'invite' || m.membership === 'knock') {
      const member = (await src.getEvents([m.eventId])).get(m.eventId);
      const stripped = await src.strippedState(m.roomId, member);
      return m.membership === 'invite' ? { kind: 'invite', room: { invite_state: { events: stripped } } } : { kind: 'knock', room: { knock_state: { events: stripped } } };
    }
    if ((m.membership === 'leave' || m.membership === 'ban') && !m.forgotten) {
      // A first sync shows left rooms only when asked; later syncs show the leaving itself.
      if (!since && !filter.room?.include_leave) return undefined;
      const room = await leftRoom(deps, req, filter, m, since, limit, tFilter);
      return room && { kind: 'leave', room };
    }
    return undefined;
  };
  // All rooms at once: the reads of each step of building a room join into one query for all of
  // them (rooms/), where one room after the other cost a round trip per room and step.
  const [built, counts, sections] = await Promise.all([
    Promise.all(changedRooms.map(({ m, fresh }) => joinedRoom(deps, req, filter, m, fresh ? undefined : since, to, limit, tFilter))),
    // Read positions and push rules are needed only when some room is.
    changedRooms.length === 0 ? new Map<string, { notifications: number; highlights: number }>() : countUnread(deps, userId, joinedList, changedRooms, to.events),
    Promise.all(notJoined.map(otherRoom)),
  ]);
  const join: JsonObject = {};
  changedRooms.forEach(({ m, typing }, i) => {
    const room = built[i];
    if (!room) return;
    const ephemeral: JsonObject[] = [];
    if (typing !== undefined && typeAllowed(filter.room?.ephemeral, 'm.typing')) ephemeral.push({ type: 'm.typing', content: { user_ids: typing } });
    const receipt = receipts.get(m.roomId);
    if (receipt && typeAllowed(filter.room?.ephemeral, 'm.receipt')) ephemeral.push({ type: 'm.receipt', content: receipt });
    room.ephemeral = { events: ephemeral };
    room.account_data = { events: roomAccountData.get(m.roomId) ?? [] };
    const c = counts.get(m.roomId)!;
    room.unread_notifications = { notification_count: c.notifications, highlight_count: c.highlights };
    join[m.roomId] = room;
  });
  const invite: JsonObject = {};
  const knock: JsonObject = {};
  const leave: JsonObject = {};
  notJoined.forEach((m, i) => {
    const section = sections[i];
    if (section) ({ invite, knock, leave })[section.kind][m.roomId] = section.room;
  });

  const presence: JsonObject[] = [];
  if (deps.presence.enabled && typeAllowed(filter.presence, 'm.presence')) {
    const seen = new Set<string>();
    if (!(since && to.presence <= since.presence)) {
      const others = await src.usersSharingRooms(userId);
      others.add(userId);
      for (const p of deps.presence.changedSince(others, since?.presence ?? 0, to.presence)) {
        presence.push(p);
        seen.add(String(p.sender));
      }
    }
    // People the user starts sharing a room with: their presence as it is now, not only its later changes.
    if (since) {
      const newcomers = await src.newlySharing(userId, [...joinedRooms], since.events, to.events);
      const current = deps.presence.changedSince(
        newcomers.filter((u) => !seen.has(u)),
        0,
        to.presence,
      );
      presence.push(...current);
    }
  }

  const body: JsonObject = {
    next_batch: '',
    rooms: { join, invite, leave, knock },
    presence: { events: presence },
    account_data: { events: globalAccountData },
    to_device: { events: [] },
    device_lists: { changed: [], left: [] },
    device_one_time_keys_count: {},
    device_unused_fallback_key_types: [],
  };
  let extensionNews = false;
  for (const ext of deps.extensions) {
    const from = since ? since[ext.stream] : undefined;
    if (await ext.fill(userId, req.deviceId, from, to[ext.stream], body)) extensionNews = true;
  }
  const empty =
    Object.keys(join).length === 0 &&
    Object.keys(invite).length === 0 &&
    Object.keys(leave).length === 0 &&
    Object.keys(knock).length === 0 &&
    presence.length === 0 &&
    globalAccountData.length === 0 &&
    !extensionNews;
  return { body, next: to, empty, joinedRooms };
}

/** Unread counts of the rooms, after the user's read position in each (their joining, before any receipt). */
async function countUnread(
  deps: SyncDeps,
  userId: string,
  joinedList: readonly string[],
  rooms: ReadonlyArray<{ m: MembershipRow }>,
  upTo: number,
): Promise<Map<string, { notifications: number; highlights: number }>> {
  const [readPositions, pushRules] = await Promise.all([deps.receipts.readPosition(userId, joinedList), deps.pushRules.forUser(userId)]);
  return deps.rooms.sync.unreadCountsMany(
    rooms.map(({ m }) => ({ roomId: m.roomId, after: readPositions.get(m.roomId) ?? m.streamOrdering })),
    userId,
    upTo,
    pushRules,
  );
}

async function stateEvents(
  deps: SyncDeps,
  roomId: string,
  userId: string,
  timeline: readonly StoredEvent[],
  filter: SyncFilter,
  state: Map<string, string>,
  base: Map<string, string> | undefined,
): Promise<StoredEvent[]> {
  const stateFilter = filter.room?.state;
  const lazy = stateFilter?.lazy_load_members === true;
  const senders = new Set(timeline.map((e) => e.pdu.sender));
  senders.add(userId);
  const inTimeline = new Set(timeline.map((e) => e.eventId));
  return (
    await deps.rooms.sync.delta(state, base, (type, key) => {
      if (!typeAllowed(stateFilter, type)) return false;
      if (lazy && type === 'm.room.member' && !senders.has(key)) return false;
      return true;
    })
  ).filter((e) => !inTimeline.has(e.eventId) && (!stateFilter?.not_senders || !stateFilter.not_senders.includes(e.pdu.sender)));
}

/**
 * A room's timeline up to `end` and the state shown before it: everything on a first sync, the
 * change since `since` when the timeline had a gap, nothing otherwise (the timeline carries it).
 */
async function timelineWithState(
  deps: SyncDeps,
  req: SyncRequest,
  filter: SyncFilter,
  roomId: string,
  since: SyncPositions | undefined,
  end: number,
  limit: number,
  tFilter: ReturnType<typeof timelineFilter>,
  withState: boolean,
): Promise<{ timeline: TimelineSlice; state: StoredEvent[] }> {
  const src = deps.rooms.sync;
  const timeline = await src.timeline(roomId, req.userId, since?.events ?? 0, end, limit, tFilter);
  if (!withState || (since && !timeline.limited)) return { timeline, state: [] };
  const first = timeline.events[0];
  const [startState, base] = await Promise.all([first ? src.stateBefore(first) : src.stateMapAt(roomId, end), since ? src.stateMapAt(roomId, since.events) : undefined]);
  return { timeline, state: await stateEvents(deps, roomId, req.userId, timeline.events, filter, startState, base) };
}

async function joinedRoom(
  deps: SyncDeps,
  req: SyncRequest,
  filter: SyncFilter,
  m: MembershipRow,
  since: SyncPositions | undefined,
  to: SyncPositions,
  limit: number,
  tFilter: ReturnType<typeof timelineFilter>,
): Promise<JsonObject | undefined> {
  const src = deps.rooms.sync;
  const viewer = { userId: req.userId, deviceId: req.deviceId };
  // Reads that do not need each other go side by side: cold, each is a round trip (one for all rooms).
  const [rv, { timeline, state }, stateAfter] = await Promise.all([
    src.version(m.roomId),
    timelineWithState(deps, req, filter, m.roomId, since, to.events, limit, tFilter, !req.useStateAfter),
    req.useStateAfter ? stateAfterEvents(deps, req, filter, m.roomId, since, to) : undefined,
  ]);
  if (!rv) return undefined;
  const membersChanged = !since || timeline.events.some((e) => e.pdu.type === 'm.room.member');
  const [stateJson, timelineJson, summary] = await Promise.all([
    src.format(stateAfter ?? state, rv, viewer),
    src.formatJson(timeline.events, rv, viewer),
    membersChanged ? src.summary(m.roomId, req.userId) : undefined,
  ]);
  const room: JsonObject = {};
  if (req.useStateAfter) {
    room.state_after = { events: stateJson };
    // matrix-js-sdk (MSC4222 era) reads only the unstable key; without it the room's state is lost.
    if (req.unstableStateAfter) room['org.matrix.msc4222.state_after'] = room.state_after;
  } else {
    room.state = { events: stateJson };
  }
  room.timeline = { events: embedRaw(timelineJson), limited: timeline.limited, prev_batch: timeline.prevBatch };
  if (summary) room.summary = { 'm.heroes': summary.heroes, 'm.joined_member_count': summary.joined, 'm.invited_member_count': summary.invited };
  return room;
}

/** State at the end of the timeline, as a change against what the client already has (use_state_after). */
async function stateAfterEvents(deps: SyncDeps, req: SyncRequest, filter: SyncFilter, roomId: string, since: SyncPositions | undefined, to: SyncPositions): Promise<StoredEvent[]> {
  const src = deps.rooms.sync;
  const [endState, base] = await Promise.all([src.stateMapAt(roomId, to.events), since ? src.stateMapAt(roomId, since.events) : undefined]);
  return stateEvents(deps, roomId, req.userId, [], filter, endState, base);
}

async function leftRoom(
  deps: SyncDeps,
  req: SyncRequest,
  filter: SyncFilter,
  m: MembershipRow,
  since: SyncPositions | undefined,
  limit: number,
  tFilter: ReturnType<typeof timelineFilter>,
): Promise<JsonObject | undefined> {
  const src = deps.rooms.sync;
  // History ends where the user left.
  const [rv, { timeline, state }] = await Promise.all([src.version(m.roomId), timelineWithState(deps, req, filter, m.roomId, since, m.streamOrdering, limit, tFilter, true)]);
  if (!rv) return undefined;
  const viewer = { userId: req.userId, deviceId: req.deviceId };
  const [stateJson, timelineJson] = await Promise.all([src.format(state, rv, viewer), src.format(timeline.events, rv, viewer)]);
  return {
    state: { events: stateJson },
    timeline: { events: timelineJson, limited: timeline.limited, prev_batch: timeline.prevBatch },
    account_data: { events: [] },
  };
}
