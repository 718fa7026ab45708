import type { JsonObject } from './json.js';

/**
 * A persistent data unit in the format of room versions 3 and later: the event ID is not part of
 * the event, it is derived from the reference hash. In room version 12 the create event has no
 * `room_id` (the room ID is derived from it) and is never listed in `auth_events`.
 */
export interface PDU {
  room_id?: string;
  sender: string;
  type: string;
  state_key?: string;
  content: JsonObject;
  origin_server_ts: number;
  prev_events: string[];
  auth_events: string[];
  depth: number;
  hashes: { sha256: string; [algorithm: string]: string };
  signatures: Record<string, Record<string, string>>;
  unsigned?: JsonObject;
  /** Top-level in room versions up to 10; moved into `content.redacts` from version 11. */
  redacts?: string;
  [extra: string]: unknown;
}

/**
 * The fields the auth rules and state resolution read. A stored PDU plus its event ID satisfies
 * it; so do the simplified fixtures of the state-resolution test vectors.
 */
export interface RoomEvent {
  event_id: string;
  room_id?: string;
  sender: string;
  type: string;
  state_key?: string;
  content: JsonObject;
  origin_server_ts: number;
  prev_events: readonly string[];
  auth_events: readonly string[];
  depth?: number;
  redacts?: string;
}

/** `(type, state_key)` joined into one string key; NUL cannot occur in either part. */
export type StateKey = string;

export function stateKey(type: string, key: string): StateKey {
  return `${type}\u0000${key}`;
}

export function splitStateKey(k: StateKey): [type: string, key: string] {
  const i = k.indexOf('\u0000');
  return [k.slice(0, i), k.slice(i + 1)];
}

/** A room's state: `(type, state_key)` to event ID. */
export type StateMap = Map<StateKey, string>;

export function isStateEvent(e: { state_key?: string | undefined }): boolean {
  return typeof e.state_key === 'string';
}

/** The auth-relevant view of a PDU whose ID is known. */
export function roomEventOf(eventId: string, pdu: Readonly<PDU>): RoomEvent {
  return {
    event_id: eventId,
    room_id: pdu.room_id,
    sender: pdu.sender,
    type: pdu.type,
    state_key: pdu.state_key,
    content: pdu.content,
    origin_server_ts: pdu.origin_server_ts,
    prev_events: pdu.prev_events,
    auth_events: pdu.auth_events,
    depth: pdu.depth,
    redacts: pdu.redacts,
  };
}
