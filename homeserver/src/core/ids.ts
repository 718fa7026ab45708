import { Buffer } from 'node:buffer';
import { encodeBase64, encodeBase64Url } from './base64.js';
import { computeReferenceHash } from './hashes.js';
import type { RoomVersion } from './room-versions.js';

/**
 * Identifiers: the grammar of the appendix ("Identifier Grammar") and the hash-derived event and
 * room IDs of the room versions (rooms/v3, v4, v12 "Event IDs", "Room IDs").
 */

type EventLike = { readonly [key: string]: unknown };

/** User IDs, room IDs, room aliases and event IDs: at most 255 bytes including sigil and domain. */
export const MAX_ID_BYTES = 255;

// ---- server names ----

export interface ServerName {
  /** The hostname as written, without the brackets of an IPv6 literal. */
  host: string;
  port?: number;
  kind: 'dns' | 'ipv4' | 'ipv6';
}

const DOTTED_QUAD = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const DNS_NAME = /^[A-Za-z0-9.-]{1,255}$/;
const PORT = /^\d{1,5}$/;
const HEX_GROUP = /^[0-9A-Fa-f]{1,4}$/;

function isIPv4(s: string): boolean {
  const m = DOTTED_QUAD.exec(s);
  return m !== null && m.slice(1).every((octet) => Number(octet) <= 255);
}

/** RFC 3513 §2.2 text form: eight hex groups, one `::` allowed, dotted IPv4 allowed at the end. */
function isIPv6(s: string): boolean {
  if (s.length < 2 || s.length > 45) return false;
  let text = s;
  const lastColon = s.lastIndexOf(':');
  if (lastColon < 0) return false;
  const tail = s.slice(lastColon + 1);
  if (tail.includes('.')) {
    if (!isIPv4(tail)) return false;
    text = s.slice(0, lastColon + 1) + '0:0'; // the IPv4 part stands for two groups
  }
  const halves = text.split('::');
  if (halves.length > 2) return false;
  const groupsOf = (part: string): string[] => (part === '' ? [] : part.split(':'));
  if (halves.length === 1) {
    const groups = groupsOf(text);
    return groups.length === 8 && groups.every((g) => HEX_GROUP.test(g));
  }
  const groups = [...groupsOf(halves[0]!), ...groupsOf(halves[1]!)];
  return groups.length <= 7 && groups.every((g) => HEX_GROUP.test(g));
}

/**
 * `hostname [":" port]` where hostname is a dotted-quad IPv4 literal, a bracketed IPv6 literal or
 * a DNS name. Case is kept: server names are case-sensitive. A dotted quad with an octet above 255
 * is refused rather than read as a DNS name, since the appendix requires IPv4 literals to be in
 * range and no host name takes that form (RFC 1123 §2.1).
 */
export function parseServerName(s: string): ServerName | null {
  if (typeof s !== 'string' || s.length === 0) return null;
  let host: string;
  let rest: string;
  let kind: ServerName['kind'];
  if (s.startsWith('[')) {
    const close = s.indexOf(']');
    if (close < 0) return null;
    host = s.slice(1, close);
    if (!isIPv6(host)) return null;
    kind = 'ipv6';
    rest = s.slice(close + 1);
  } else {
    const colon = s.indexOf(':');
    host = colon < 0 ? s : s.slice(0, colon);
    rest = colon < 0 ? '' : s.slice(colon);
    if (DOTTED_QUAD.test(host)) {
      if (!isIPv4(host)) return null;
      kind = 'ipv4';
    } else if (DNS_NAME.test(host)) {
      kind = 'dns';
    } else {
      return null;
    }
  }
  if (rest === '') return { host, kind };
  if (rest[0] !== ':' || !PORT.test(rest.slice(1))) return null;
  return { host, port: Number(rest.slice(1)), kind };
}

export function isValidServerName(s: string): boolean {
  return parseServerName(s) !== null;
}

// ---- user IDs and other sigilled identifiers ----

const STRICT_LOCALPART = /^[a-z0-9._=\-/+]+$/;

function isWellFormed(s: string): boolean {
  return (s as unknown as { isWellFormed(): boolean }).isWellFormed();
}

/** Historical grammar: any non-surrogate code points except `:` and NUL, even none at all. */
function isHistoricalLocalpart(s: string): boolean {
  return !s.includes(':') && !s.includes('\u0000') && isWellFormed(s);
}

/**
 * New user IDs must use `[a-z0-9._=/+-]`. `historical` accepts what older servers created and
 * what must still be accepted in events received over federation.
 */
export function isValidLocalpart(s: string, opts: { historical?: boolean } = {}): boolean {
  if (typeof s !== 'string') return false;
  return opts.historical ? isHistoricalLocalpart(s) : STRICT_LOCALPART.test(s);
}

function withinIdLimit(s: string): boolean {
  // Cheap bound first: UTF-8 takes at most 3 bytes per UTF-16 code unit.
  return s.length * 3 <= MAX_ID_BYTES || Buffer.byteLength(s, 'utf8') <= MAX_ID_BYTES;
}

export interface UserId {
  localpart: string;
  serverName: string;
}

/**
 * Splits `@localpart:server_name`, or null when it is not a user ID. The localpart may not
 * contain `:`, so the first colon ends it. Historical localparts are accepted unless
 * `historical: false`; validate new registrations with the strict grammar.
 */
export function parseUserId(s: string, opts: { historical?: boolean } = {}): UserId | null {
  if (typeof s !== 'string' || !s.startsWith('@') || !withinIdLimit(s)) return null;
  const colon = s.indexOf(':');
  if (colon < 0) return null;
  const localpart = s.slice(1, colon);
  const serverName = s.slice(colon + 1);
  if (!isValidLocalpart(localpart, { historical: opts.historical ?? true })) return null;
  if (!isValidServerName(serverName)) return null;
  return { localpart, serverName };
}

export interface RoomAlias {
  localpart: string;
  serverName: string;
}

/** `#localpart:server_name`; the localpart is any non-surrogate code points except `:` and NUL. */
export function parseRoomAlias(s: string): RoomAlias | null {
  if (typeof s !== 'string' || !s.startsWith('#') || !withinIdLimit(s)) return null;
  const colon = s.indexOf(':');
  if (colon < 0) return null;
  const localpart = s.slice(1, colon);
  const serverName = s.slice(colon + 1);
  if (!isHistoricalLocalpart(localpart) || !isValidServerName(serverName)) return null;
  return { localpart, serverName };
}

// A SHA-256 reference hash is 32 bytes: 43 characters of unpadded base64.
const HASH_ID_STANDARD = /^[A-Za-z0-9+/]{43}$/;
const HASH_ID_URL_SAFE = /^[A-Za-z0-9_-]{43}$/;

function isSigilled(s: unknown, sigil: string): s is string {
  return typeof s === 'string' && s.length > 1 && s.startsWith(sigil) && withinIdLimit(s) && !s.includes('\u0000') && isWellFormed(s);
}

/** `opaque:domain` with an opaque part free of `:` (room IDs before v12, event IDs in v1/v2). */
function hasDomain(body: string): boolean {
  const colon = body.indexOf(':');
  return colon >= 0 && isValidServerName(body.slice(colon + 1));
}

/**
 * `!opaque:domain` before room version 12, `!` + URL-safe reference hash from 12 on. Without a
 * room version, either form passes.
 */
export function isValidRoomId(s: string, rv?: RoomVersion): boolean {
  if (!isSigilled(s, '!')) return false;
  const body = s.slice(1);
  if (rv === undefined) return hasDomain(body) || HASH_ID_URL_SAFE.test(body);
  return rv.roomIdFromCreateEvent ? HASH_ID_URL_SAFE.test(body) : hasDomain(body);
}

/**
 * `$opaque:domain` in room versions 1–2, `$` + reference hash in standard base64 (v3) or URL-safe
 * base64 (v4+). Without a room version, any of them passes.
 */
export function isValidEventId(s: string, rv?: RoomVersion): boolean {
  if (!isSigilled(s, '$')) return false;
  const body = s.slice(1);
  switch (rv?.eventIdFormat) {
    case 'explicit':
      return hasDomain(body);
    case 'base64':
      return HASH_ID_STANDARD.test(body);
    case 'urlsafe-base64':
      return HASH_ID_URL_SAFE.test(body);
    default:
      return hasDomain(body) || HASH_ID_STANDARD.test(body) || HASH_ID_URL_SAFE.test(body);
  }
}

// ---- derived IDs ----

/**
 * The event ID: from room version 3 on, `$` + the reference hash; in versions 1 and 2 the event
 * names its own ID in `event_id`, and an event without one has none (throws).
 */
export function computeEventId(event: EventLike, rv: RoomVersion): string {
  switch (rv.eventIdFormat) {
    case 'explicit': {
      const id = event['event_id'];
      if (typeof id !== 'string') throw new Error(`room version ${rv.id} events must carry an event_id`);
      return id;
    }
    case 'base64':
      return '$' + encodeBase64(computeReferenceHash(event, rv));
    case 'urlsafe-base64':
      return '$' + encodeBase64Url(computeReferenceHash(event, rv));
  }
}

/** The room ID of a room version 12 room: `!` + the URL-safe reference hash of its create event. */
export function computeRoomIdV12(createEvent: EventLike, rv: RoomVersion): string {
  if (!rv.roomIdFromCreateEvent) throw new Error(`room version ${rv.id} does not derive room IDs from the create event`);
  if (createEvent['type'] !== 'm.room.create') throw new Error('only an m.room.create event defines a room ID');
  return '!' + encodeBase64Url(computeReferenceHash(createEvent, rv));
}
