import { authEventSelection } from '../../../core/auth/index.js';
import { canonicalJson } from '../../../core/canonical-json.js';
import { signEvent } from '../../../core/event-signing.js';
import { roomEventOf, stateKey, type PDU, type RoomEvent } from '../../../core/events.js';
import { computeEventId } from '../../../core/ids.js';
import type { JsonObject } from '../../../core/json.js';
import { MAX_PDU_BYTES, MAX_PREV_EVENTS } from '../../../core/pdu.js';
import type { RoomVersion } from '../../../core/room-versions.js';
import { errors, MatrixError } from '../../../http/errors.js';
import type { ServerSigningKey } from '../../federation/signing-key.js';

/** What a local client asks for; the pipeline turns it into a signed PDU. */
export interface EventTemplate {
  type: string;
  state_key?: string;
  sender: string;
  content: JsonObject;
  /** For m.room.redaction: where it goes depends on the room version. */
  redacts?: string;
}

export interface BuiltEvent {
  eventId: string;
  pdu: PDU;
  /** The canonical JSON we store and send. */
  json: string;
  event: RoomEvent;
}

export interface Tips {
  roomId: string | undefined;
  extremities: readonly string[];
  maxDepth: number;
  state: ReadonlyMap<string, string>;
}

/** Builds, hashes and signs the next event of a room on top of the given tips and state. */
export function buildEvent(template: EventTemplate, tips: Tips, rv: RoomVersion, serverName: string, key: ServerSigningKey, now: number): BuiltEvent {
  const authEvents: string[] = [];
  for (const [type, sk] of authEventSelection(template, rv)) {
    if (type === 'm.room.create' && !rv.createEventInAuthEvents) continue;
    const id = tips.state.get(stateKey(type, sk));
    if (id !== undefined && !authEvents.includes(id)) authEvents.push(id);
  }
  const content = { ...template.content };
  const unsignedPdu: Record<string, unknown> = {
    type: template.type,
    sender: template.sender,
    content,
    origin_server_ts: now,
    prev_events: tips.extremities.slice(-MAX_PREV_EVENTS),
    auth_events: authEvents,
    depth: Math.min(tips.maxDepth + 1, Number.MAX_SAFE_INTEGER),
  };
  if (tips.roomId !== undefined) unsignedPdu.room_id = tips.roomId;
  if (template.state_key !== undefined) unsignedPdu.state_key = template.state_key;
  if (template.redacts !== undefined) {
    // v11 moved `redacts` into content; older versions keep it at the top level.
    if (rv.redactsInContent) content.redacts = template.redacts;
    else unsignedPdu.redacts = template.redacts;
  }
  let pdu: PDU;
  let json: string;
  try {
    pdu = signEvent(unsignedPdu, rv, serverName, key.keyId, key.seed);
    json = canonicalJson(pdu);
  } catch (err) {
    throw errors.badJson(`event content cannot be encoded: ${(err as Error).message}`);
  }
  if (Buffer.byteLength(json, 'utf8') > MAX_PDU_BYTES) {
    throw new MatrixError(413, 'M_TOO_LARGE', `event is larger than ${MAX_PDU_BYTES} bytes`);
  }
  const eventId = computeEventId(pdu, rv);
  const event = roomEventOf(eventId, pdu);
  return { eventId, pdu, json, event };
}
