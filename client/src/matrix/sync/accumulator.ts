import type { EphemeralEvent, JoinedRoomSync, JsonObject, MatrixEvent, MessagesResponse, StrippedStateEvent, SyncResponse } from '../types';

/**
 * Everything the client knows about its rooms, built only from sync responses and history pages.
 * Plain JSON, so it is stored in IndexedDB as is and read back before the network answers.
 */
export interface SyncState {
  nextBatch: string | undefined;
  rooms: Record<string, RoomData>;
  /** Global account data by type (m.direct, m.push_rules, …). */
  accountData: Record<string, JsonObject>;
  presence: Record<string, PresenceInfo>;
}

export interface PresenceInfo {
  presence: string;
  statusMsg?: string | undefined;
  lastActiveAgo?: number | undefined;
  currentlyActive?: boolean | undefined;
}

export interface Receipt {
  eventId: string;
  ts: number;
}

export interface RoomData {
  roomId: string;
  /** `knock`: we asked to join and wait for someone to let us in. */
  membership: 'join' | 'invite' | 'leave' | 'knock';
  /** Current state: type → state_key → event. */
  state: Record<string, Record<string, MatrixEvent>>;
  /** What an invite (or our knock) shows of the room before joining. */
  inviteState: StrippedStateEvent[];
  /** The known end of the timeline, oldest first, without gaps. */
  timeline: MatrixEvent[];
  /**
   * The token for events before timeline[0]. Undefined with historyComplete false means the
   * timeline was trimmed or restored from storage: ask /context of the first event for one.
   */
  prevBatch: string | undefined;
  /** The room's creation is in the timeline: nothing older to fetch. */
  historyComplete: boolean;
  notificationCount: number;
  highlightCount: number;
  heroes: string[];
  joinedCount: number;
  invitedCount: number;
  /** Each user's latest read receipt (m.read; our own m.read.private too). */
  receipts: Record<string, Receipt>;
  typing: string[];
  /** Room account data by type (m.fully_read, m.tag, …). */
  accountData: Record<string, JsonObject>;
  /** Timestamp of the latest event: the room list's order. */
  lastActivity: number;
}

export interface SyncResult {
  state: SyncState;
  /** Rooms whose data changed (to persist, then re-render). */
  changed: string[];
}

export function emptySyncState(): SyncState {
  return { nextBatch: undefined, rooms: {}, accountData: {}, presence: {} };
}

export function emptyRoom(roomId: string): RoomData {
  return {
    roomId,
    membership: 'join',
    state: {},
    inviteState: [],
    timeline: [],
    prevBatch: undefined,
    historyComplete: false,
    notificationCount: 0,
    highlightCount: 0,
    heroes: [],
    joinedCount: 0,
    invitedCount: 0,
    receipts: {},
    typing: [],
    accountData: {},
    lastActivity: 0,
  };
}

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

function withState(state: RoomData['state'], events: readonly MatrixEvent[]): RoomData['state'] {
  if (events.length === 0) return state;
  const next = { ...state };
  for (const e of events) {
    if (e.state_key === undefined) continue;
    next[e.type] = { ...(next[e.type] ?? {}), [e.state_key]: e };
  }
  return next;
}

/** The content a redaction leaves (a simplified version of the spec's algorithm: enough for display). */
const KEPT_CONTENT: Record<string, string[]> = {
  'm.room.member': ['membership', 'join_authorised_via_users_server'],
  'm.room.create': ['creator', 'room_version'],
  'm.room.join_rules': ['join_rule', 'allow'],
  'm.room.power_levels': ['ban', 'events', 'events_default', 'kick', 'redact', 'state_default', 'users', 'users_default', 'invite'],
  'm.room.history_visibility': ['history_visibility'],
};

export function redactEvent(event: MatrixEvent, because: MatrixEvent): MatrixEvent {
  const keep = KEPT_CONTENT[event.type] ?? [];
  const content: JsonObject = {};
  for (const k of keep) if (k in event.content) content[k] = event.content[k];
  // Unlike the server's algorithm, the relation stays (as MSC3389 proposes): a deleted edit or
  // reaction must stay hidden, not turn into a "deleted message" of its own.
  if (isObject(event.content['m.relates_to'])) content['m.relates_to'] = event.content['m.relates_to'];
  return { ...event, content, unsigned: { ...(event.unsigned ?? {}), redacted_because: because } };
}

export function isRedacted(event: MatrixEvent): boolean {
  return event.unsigned?.redacted_because !== undefined;
}

/** Applies redactions in `incoming` to earlier events, then appends the new ones (skipping duplicates). */
function appendTimeline(timeline: readonly MatrixEvent[], incoming: readonly MatrixEvent[]): MatrixEvent[] {
  const known = new Set(timeline.map((e) => e.event_id));
  let out = [...timeline];
  for (const e of incoming) {
    if (known.has(e.event_id)) continue;
    known.add(e.event_id);
    out.push(e);
    if (e.type === 'm.room.redaction') {
      const target = typeof e.redacts === 'string' ? e.redacts : typeof e.content.redacts === 'string' ? e.content.redacts : undefined;
      if (target) out = out.map((x) => (x.event_id === target && !isRedacted(x) ? redactEvent(x, e) : x));
    }
  }
  return out;
}

function latestTs(events: readonly MatrixEvent[], fallback: number): number {
  return events.reduce((m, e) => Math.max(m, e.origin_server_ts ?? 0), fallback);
}

function applyReceipts(receipts: RoomData['receipts'], event: EphemeralEvent, ownUserId: string): RoomData['receipts'] {
  const next = { ...receipts };
  for (const [eventId, byType] of Object.entries(event.content)) {
    if (!isObject(byType)) continue;
    for (const type of ['m.read', 'm.read.private']) {
      const users = byType[type];
      if (!isObject(users)) continue;
      // Private receipts are only ever our own; a stray one for someone else is ignored.
      for (const [userId, info] of Object.entries(users)) {
        if (type === 'm.read.private' && userId !== ownUserId) continue;
        const ts = isObject(info) && typeof info.ts === 'number' ? info.ts : 0;
        const prev = next[userId];
        if (!prev || ts >= prev.ts) next[userId] = { eventId, ts };
      }
    }
  }
  return next;
}

function applyJoined(prev: RoomData, sync: JoinedRoomSync, membership: 'join' | 'leave', ownUserId: string): RoomData {
  const room: RoomData = { ...prev, membership, inviteState: membership === 'join' ? [] : prev.inviteState };
  const timelineEvents = sync.timeline?.events ?? [];
  const stateEvents = timelineEvents.filter((e) => e.state_key !== undefined);
  if (sync.state_after) {
    // state_after already includes the timeline's state: it is the truth after the last event.
    room.state = withState(withState(room.state, stateEvents), sync.state_after.events ?? []);
  } else {
    room.state = withState(withState(room.state, sync.state?.events ?? []), stateEvents);
  }
  if (sync.timeline) {
    if (sync.timeline.limited) {
      // A gap: what we had is not contiguous with this any more; keep only the new piece.
      room.timeline = appendTimeline([], timelineEvents);
      room.prevBatch = sync.timeline.prev_batch;
      room.historyComplete = false;
    } else {
      if (room.timeline.length === 0 && sync.timeline.prev_batch) room.prevBatch = sync.timeline.prev_batch;
      room.timeline = appendTimeline(room.timeline, timelineEvents);
    }
    if (timelineEvents.some((e) => e.type === 'm.room.create')) room.historyComplete = true;
    room.lastActivity = latestTs(timelineEvents, room.lastActivity);
  }
  for (const e of sync.ephemeral?.events ?? []) {
    if (e.type === 'm.typing') {
      const ids = e.content.user_ids;
      room.typing = Array.isArray(ids) ? ids.filter((x): x is string => typeof x === 'string') : [];
    } else if (e.type === 'm.receipt') {
      room.receipts = applyReceipts(room.receipts, e, ownUserId);
    }
  }
  if (sync.account_data?.events?.length) {
    room.accountData = { ...room.accountData };
    for (const e of sync.account_data.events) room.accountData[e.type] = e.content;
  }
  if (sync.unread_notifications) {
    room.notificationCount = sync.unread_notifications.notification_count ?? 0;
    room.highlightCount = sync.unread_notifications.highlight_count ?? 0;
  }
  if (sync.summary) {
    room.heroes = sync.summary['m.heroes'] ?? room.heroes;
    room.joinedCount = sync.summary['m.joined_member_count'] ?? room.joinedCount;
    room.invitedCount = sync.summary['m.invited_member_count'] ?? room.invitedCount;
  }
  // Someone typing stops when we leave; nothing more will tell us.
  if (membership === 'leave') room.typing = [];
  return room;
}

/**
 * Folds one sync response into the state. Pure: the input is not modified, rooms that did not
 * change keep their identity, and the result says which rooms changed.
 */
export function applySync(state: SyncState, res: SyncResponse, ownUserId: string): SyncResult {
  const rooms = { ...state.rooms };
  const changed = new Set<string>();
  for (const [roomId, sync] of Object.entries(res.rooms?.join ?? {})) {
    rooms[roomId] = applyJoined(rooms[roomId] ?? emptyRoom(roomId), sync, 'join', ownUserId);
    changed.add(roomId);
  }
  for (const [roomId, invite] of Object.entries(res.rooms?.invite ?? {})) {
    const events = invite.invite_state?.events ?? [];
    const prev = rooms[roomId] ?? emptyRoom(roomId);
    // Invites carry no timestamp; the room list shows them above everything anyway.
    rooms[roomId] = { ...prev, membership: 'invite', inviteState: events };
    changed.add(roomId);
  }
  for (const [roomId, knock] of Object.entries(res.rooms?.knock ?? {})) {
    const prev = rooms[roomId] ?? emptyRoom(roomId);
    rooms[roomId] = { ...prev, membership: 'knock', inviteState: knock.knock_state?.events ?? [] };
    changed.add(roomId);
  }
  for (const [roomId, sync] of Object.entries(res.rooms?.leave ?? {})) {
    rooms[roomId] = applyJoined(rooms[roomId] ?? emptyRoom(roomId), sync, 'leave', ownUserId);
    changed.add(roomId);
  }
  let accountData = state.accountData;
  if (res.account_data?.events?.length) {
    accountData = { ...accountData };
    for (const e of res.account_data.events) accountData[e.type] = e.content;
  }
  let presence = state.presence;
  if (res.presence?.events?.length) {
    presence = { ...presence };
    for (const e of res.presence.events) {
      const c = e.content;
      presence[e.sender] = {
        presence: typeof c.presence === 'string' ? c.presence : 'offline',
        statusMsg: typeof c.status_msg === 'string' ? c.status_msg : undefined,
        lastActiveAgo: typeof c.last_active_ago === 'number' ? c.last_active_ago : undefined,
        currentlyActive: typeof c.currently_active === 'boolean' ? c.currently_active : undefined,
      };
    }
  }
  return { state: { nextBatch: res.next_batch, rooms, accountData, presence }, changed: [...changed] };
}

/**
 * Puts a page of older history (`/messages` with dir=b, newest first) before the timeline.
 * State events in it are old, so they never overwrite current state.
 */
export function prependHistory(room: RoomData, page: MessagesResponse): RoomData {
  const known = new Set(room.timeline.map((e) => e.event_id));
  const older = [...page.chunk].reverse().filter((e) => !known.has(e.event_id));
  // Redactions in the older page can only target events older still, which are in it too.
  const merged = appendTimeline([], older);
  const done = page.end === undefined || page.chunk.length === 0 || older.some((e) => e.type === 'm.room.create');
  return {
    ...room,
    timeline: [...merged, ...room.timeline],
    prevBatch: done ? undefined : page.end,
    historyComplete: done,
    lastActivity: Math.max(room.lastActivity, latestTs(older, 0)),
  };
}

/**
 * The part of a room worth persisting: its latest `keep` events. A trimmed timeline forgets its
 * pagination token (it points before events we dropped); the client asks /context instead.
 */
export function trimForStorage(room: RoomData, keep: number): RoomData {
  if (room.timeline.length <= keep) return room;
  return { ...room, timeline: room.timeline.slice(-keep), prevBatch: undefined, historyComplete: false };
}
