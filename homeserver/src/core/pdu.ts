import { Buffer } from 'node:buffer';
import { CanonicalJsonError } from './canonical-json.js';
import { encodeEvent, type EventEncodings } from './event-encodings.js';
import type { PDU } from './events.js';
import { isValidEventId, isValidRoomId, parseUserId } from './ids.js';
import { isJsonObject, type JsonObject } from './json.js';
import type { RoomVersion } from './room-versions.js';

/**
 * Format checks on a received PDU, the first of the server-server "Checks performed on receipt of
 * a PDU": an event failing them is dropped, not rejected. Signatures, hashes and auth rules come
 * after and live elsewhere.
 */

/** Client-server "Size limits": the whole event as canonical JSON, signatures included. */
export const MAX_PDU_BYTES = 65536;
/** Client-server "Size limits": `type` and `state_key` MUST NOT exceed 255 bytes. */
export const MAX_TYPE_BYTES = 255;
export const MAX_STATE_KEY_BYTES = 255;
/**
 * The PDU definitions of every room version (server-server API, `pdu_v1`, `pdu_v3` and
 * `auth_events_prev_events_v4`): `prev_events` "must contain less than or equal to 20 events",
 * `auth_events` "less than or equal to 10".
 */
export const MAX_PREV_EVENTS = 20;
export const MAX_AUTH_EVENTS = 10;
/** `depth_v6`: depth stays within canonical JSON integers; a room at the limit keeps it. */
export const MAX_DEPTH = Number.MAX_SAFE_INTEGER;

export type PduFormatResult = { ok: true; pdu: PDU; encodings: EventEncodings } | { ok: false; reason: string };

function fail(reason: string): { ok: false; reason: string } {
  return { ok: false, reason };
}

function bytes(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

function has(obj: JsonObject, key: string): boolean {
  return Object.hasOwn(obj, key);
}

/** A reason when `refs` is not a list of event references of this room version, else null. */
function checkEventRefs(field: string, refs: unknown, max: number, rv: RoomVersion): string | null {
  if (!Array.isArray(refs)) return `${field} must be an array`;
  if (refs.length > max) return `${field} has ${refs.length} entries, at most ${max} are allowed`;
  for (const ref of refs) {
    // Room versions 1 and 2 pair each event ID with that event's hashes.
    const id: unknown = rv.eventIdFormat === 'explicit' ? (Array.isArray(ref) && ref.length === 2 && isJsonObject(ref[1]) ? ref[0] : undefined) : ref;
    if (typeof id !== 'string' || !isValidEventId(id, rv)) {
      return `${field} entry ${JSON.stringify(ref)} is not an event reference of room version ${rv.id}`;
    }
  }
  return null;
}

function checkSignatures(value: unknown): string | null {
  if (!isJsonObject(value)) return 'signatures must be an object';
  for (const [server, keys] of Object.entries(value)) {
    if (!isJsonObject(keys)) return `signatures of ${server} must be an object`;
    for (const sig of Object.values(keys)) {
      if (typeof sig !== 'string') return `signatures of ${server} must be strings`;
    }
  }
  return null;
}

function checkFields(e: JsonObject, rv: RoomVersion): string | null {
  const type = e['type'];
  if (typeof type !== 'string') return 'type must be a string';
  if (bytes(type) > MAX_TYPE_BYTES) return `type exceeds ${MAX_TYPE_BYTES} bytes`;

  if (has(e, 'state_key')) {
    const sk = e['state_key'];
    if (typeof sk !== 'string') return 'state_key must be a string';
    if (bytes(sk) > MAX_STATE_KEY_BYTES) return `state_key exceeds ${MAX_STATE_KEY_BYTES} bytes`;
  }

  // Received events may come from users with historical localparts; the 255-byte limit holds.
  const sender = e['sender'];
  if (typeof sender !== 'string' || parseUserId(sender, { historical: true }) === null) {
    return 'sender must be a user ID';
  }

  // A v12 create event has no room ID: it is the room ID. Whether it wrongly carries one is the
  // first auth rule's business (rooms/v12), so only the type is checked here.
  const roomId = e['room_id'];
  if (rv.roomIdFromCreateEvent && type === 'm.room.create') {
    if (has(e, 'room_id') && typeof roomId !== 'string') return 'room_id must be a string';
  } else if (typeof roomId !== 'string' || !isValidRoomId(roomId, rv)) {
    return `room_id must be a room ID of room version ${rv.id}`;
  }

  if (!isJsonObject(e['content'])) return 'content must be an object';

  const ts = e['origin_server_ts'];
  if (typeof ts !== 'number' || !Number.isInteger(ts)) return 'origin_server_ts must be an integer';

  const depth = e['depth'];
  if (typeof depth !== 'number' || !Number.isInteger(depth)) return 'depth must be an integer';
  if (depth < 0 || depth > MAX_DEPTH) return `depth must be within 0…${MAX_DEPTH}`;

  const hashes = e['hashes'];
  if (!isJsonObject(hashes) || typeof hashes['sha256'] !== 'string') return 'hashes.sha256 must be a string';

  const sigError = checkSignatures(e['signatures']);
  if (sigError !== null) return sigError;

  if (has(e, 'unsigned') && !isJsonObject(e['unsigned'])) return 'unsigned must be an object';

  const prevError = checkEventRefs('prev_events', e['prev_events'], MAX_PREV_EVENTS, rv);
  if (prevError !== null) return prevError;
  const authError = checkEventRefs('auth_events', e['auth_events'], MAX_AUTH_EVENTS, rv);
  if (authError !== null) return authError;

  const eventId = e['event_id'];
  if (rv.eventIdFormat === 'explicit') {
    if (typeof eventId !== 'string' || !isValidEventId(eventId, rv)) return 'event_id must be an event ID';
  } else if (has(e, 'event_id') && (typeof eventId !== 'string' || bytes(eventId) > 255)) {
    // Ignored from v3 on (the ID is computed), but still bound by the event ID size limit.
    return 'event_id must be a string of at most 255 bytes';
  }

  if (!rv.redactsInContent && has(e, 'redacts')) {
    const redacts = e['redacts'];
    if (typeof redacts !== 'string' || !isValidEventId(redacts, rv)) return 'redacts must be an event ID';
  }
  return null;
}

/**
 * Whether `value` has the format of a PDU of room version `rv`. Values without a canonical JSON
 * encoding (floats, integers beyond ±(2^53−1)) are refused in every room version. From v6 the spec
 * requires it; before v6 it asks servers to tolerate them, but we could not reproduce the origin's
 * hashes of such an event anyway (JSON.parse has already rounded large integers, and floats have
 * no canonical form), and we host no rooms of those versions. A well-formed event comes with its
 * encodings, which the checks that follow (event ID, signatures, content hash) and storage use.
 */
export function checkPduFormat(value: unknown, rv: RoomVersion): PduFormatResult {
  const fields = checkPduFields(value, rv);
  if (!fields.ok) return fields;
  const encoded = checkPduEncoding(fields.pdu, rv);
  return encoded.ok ? { ok: true, pdu: fields.pdu, encodings: encoded.encodings } : encoded;
}

/**
 * The first part of checkPduFormat: every check that needs no encoding of the event. Cheap, so a
 * large batch can learn which events it will go on with (and whose keys their signatures need)
 * before encoding any.
 */
export function checkPduFields(value: unknown, rv: RoomVersion): { ok: true; pdu: PDU } | { ok: false; reason: string } {
  if (!isJsonObject(value)) return fail('a PDU must be a JSON object');
  const fieldError = checkFields(value, rv);
  if (fieldError !== null) return fail(fieldError);
  return { ok: true, pdu: value as unknown as PDU };
}

/** The rest of checkPduFormat for an event whose fields passed: a canonical encoding within the size limit. */
export function checkPduEncoding(pdu: PDU, rv: RoomVersion): { ok: true; encodings: EventEncodings } | { ok: false; reason: string } {
  let encodings: EventEncodings;
  try {
    encodings = encodeEvent(pdu, rv);
  } catch (err) {
    if (err instanceof CanonicalJsonError) return fail(`not canonical JSON: ${err.message}`);
    throw err;
  }
  const size = bytes(encodings.json);
  if (size > MAX_PDU_BYTES) return fail(`event is ${size} bytes as canonical JSON, more than ${MAX_PDU_BYTES}`);
  return { ok: true, encodings };
}
