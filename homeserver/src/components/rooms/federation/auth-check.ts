import { checkAuthEventsList, checkEventAuth, type AuthResult, type AuthState } from '../../../core/auth/index.js';
import { roomEventOf, stateKey, type PDU, type RoomEvent, type StateMap } from '../../../core/events.js';
import type { RoomVersion } from '../../../core/room-versions.js';
import type { StateResEvent, StateResStore } from '../../../core/state-res/index.js';
import { toRoomEvent, type EventStore, type StoredEvent } from '../storage/events.js';

/** v12 names the create event in the room ID instead of listing it in auth_events. */
export function impliedCreateId(roomId: string, rv: RoomVersion): string | undefined {
  return rv.roomIdFromCreateEvent ? `$${roomId.slice(1)}` : undefined;
}

export function asRoomEvent(e: StoredEvent | { eventId: string; pdu: PDU; rejectedReason?: string | null }): StateResEvent {
  if ('streamOrdering' in e) return toRoomEvent(e);
  return { ...roomEventOf(e.eventId, e.pdu), rejected: e.rejectedReason != null };
}

export function authStateOf(events: Iterable<RoomEvent>): AuthState {
  const byKey = new Map<string, RoomEvent>();
  for (const e of events) if (e.state_key !== undefined) byKey.set(stateKey(e.type, e.state_key), e);
  return { get: (type, key) => byKey.get(stateKey(type, key)) };
}

/**
 * "Passes authorization rules based on the event's auth events": the list itself, then the rules
 * against the state the list makes up. `lookup` must hold the auth events (and, in v12, the create
 * event); missing ones fail the check.
 */
export function checkAgainstAuthEvents(event: RoomEvent, roomId: string, rv: RoomVersion, lookup: ReadonlyMap<string, StateResEvent>): AuthResult {
  if (event.type === 'm.room.create') return checkEventAuth(event, authStateOf([]), rv);
  const listed: RoomEvent[] = [];
  for (const id of event.auth_events) {
    const e = lookup.get(id);
    if (!e) return { ok: false, reason: `auth event ${id} is unknown` };
    listed.push(e);
  }
  const list = checkAuthEventsList(event, listed, rv);
  if (!list.ok) return list;
  const state = [...listed];
  const createId = impliedCreateId(roomId, rv);
  if (createId) {
    const create = lookup.get(createId);
    if (!create) return { ok: false, reason: 'the room create event is unknown' };
    state.push(create);
  }
  return checkEventAuth(event, authStateOf(state), rv);
}

/** The auth rules against a full state map (the state before the event, or current state). */
export async function checkAgainstState(event: RoomEvent, state: StateMap, rv: RoomVersion, events: EventStore, extra?: ReadonlyMap<string, StateResEvent>): Promise<AuthResult> {
  const keys: string[] = [stateKey('m.room.create', ''), stateKey('m.room.power_levels', ''), stateKey('m.room.member', event.sender), stateKey('m.room.join_rules', '')];
  if (event.type === 'm.room.member' && event.state_key !== undefined) {
    keys.push(stateKey('m.room.member', event.state_key));
    const via = event.content.join_authorised_via_users_server;
    if (typeof via === 'string') keys.push(stateKey('m.room.member', via));
    const tpi = event.content.third_party_invite;
    const token = typeof tpi === 'object' && tpi !== null && !Array.isArray(tpi) ? (tpi as { signed?: { token?: unknown } }).signed?.token : undefined;
    if (typeof token === 'string') keys.push(stateKey('m.room.third_party_invite', token));
  }
  const ids = keys.map((k) => state.get(k)).filter((id): id is string => id !== undefined);
  const wanted = ids.filter((id) => !extra?.has(id));
  const loaded = wanted.length > 0 ? await events.getMany(wanted) : new Map<string, StoredEvent>();
  const found: RoomEvent[] = [];
  for (const id of ids) {
    const e = extra?.get(id) ?? (loaded.get(id) ? toRoomEvent(loaded.get(id)!) : undefined);
    if (e) found.push(e);
  }
  return checkEventAuth(event, authStateOf(found), rv);
}

/** State resolution's view of the event store (events are cached there already). */
export function stateResStore(events: EventStore, extra?: ReadonlyMap<string, StateResEvent>): StateResStore {
  return {
    async getEvents(ids) {
      const out = new Map<string, StateResEvent>();
      const rest: string[] = [];
      for (const id of ids) {
        const e = extra?.get(id);
        if (e) out.set(id, e);
        else rest.push(id);
      }
      if (rest.length > 0) for (const [id, e] of await events.getMany(rest)) out.set(id, toRoomEvent(e));
      return out;
    },
  };
}
