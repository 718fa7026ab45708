import { Buffer } from 'node:buffer';
import { hash } from 'node:crypto';
import { encodeBase64, encodeBase64Url } from './base64.js';
import { canonicalJson, canonicalJsonMembers, compareCodePoints } from './canonical-json.js';
import { claimedContentHash } from './hashes.js';
import { computeEventId } from './ids.js';
import { redactShallow } from './redaction.js';
import type { RoomVersion } from './room-versions.js';

/**
 * Everything checking a received event needs encoded, from one encoding of it. Canonical JSON
 * writes an object's members in sorted key order, so the whole event, the event without its
 * hashes (the content hash) and the redacted event (the reference hash and the signatures) are
 * all made of the same `"key":value` pieces; only the redacted `content`, small, is encoded
 * apart. Before this, a received event was encoded four times over.
 */

type EventLike = { readonly [key: string]: unknown };

export interface EventEncodings {
  /** canonicalJson(event): the event as stored, and what the size limit counts. */
  json: string;
  /**
   * The redacted event without `signatures` and `unsigned` as canonical JSON: what the reference
   * hash (the event ID from room version 3 on) and every signature of the event cover.
   */
  redactedBytes: Buffer;
  /** computeEventId(event, rv). */
  eventId: string;
  /** checkContentHash(event). */
  contentHashMatches: boolean;
}

/** Left out of the content hash (server-server "Calculating the content hash for an event"). */
const NOT_HASHED: ReadonlySet<string> = new Set(['unsigned', 'signatures', 'hashes']);
/** Left out of what signatures and the reference hash cover. */
const NOT_SIGNED: ReadonlySet<string> = new Set(['unsigned', 'signatures']);

function sha256(data: Buffer | string): Buffer {
  return hash('sha256', data, 'buffer');
}

/**
 * The encodings of `event` under room version `rv`, byte for byte what canonicalJson,
 * computeReferenceHash, computeEventId and checkContentHash give. Throws CanonicalJsonError when
 * the event has no canonical JSON, even where its redacted form would have one (computeEventId
 * alone still works on such an event), and as computeEventId does for a v1/v2 event without an
 * `event_id`.
 */
export function encodeEvent(event: EventLike, rv: RoomVersion): EventEncodings {
  const { keys, members } = canonicalJsonMembers(event);
  // The redaction algorithm decides which top-level members survive; they keep their encoding.
  const redacted = redactShallow(event, rv);
  let redactedContent: string | undefined = '"content":' + canonicalJson(redacted['content']);
  const hashed: string[] = [];
  const signed: string[] = [];
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    // The redacted event always has a content, whether or not the event has one: in key order.
    if (redactedContent !== undefined && compareCodePoints(k, 'content') >= 0) {
      signed.push(redactedContent);
      redactedContent = undefined;
    }
    if (!NOT_HASHED.has(k)) hashed.push(members[i]!);
    if (k !== 'content' && !NOT_SIGNED.has(k) && Object.hasOwn(redacted, k)) signed.push(members[i]!);
  }
  if (redactedContent !== undefined) signed.push(redactedContent);

  const redactedBytes = Buffer.from('{' + signed.join(',') + '}', 'utf8');
  const claimed = claimedContentHash(event);
  return {
    json: '{' + members.join(',') + '}',
    redactedBytes,
    eventId: eventIdOf(event, rv, redactedBytes),
    contentHashMatches: claimed !== undefined && claimed.equals(sha256('{' + hashed.join(',') + '}')),
  };
}

function eventIdOf(event: EventLike, rv: RoomVersion, redactedBytes: Buffer): string {
  switch (rv.eventIdFormat) {
    case 'explicit':
      return computeEventId(event, rv); // named in the event itself, nothing to hash
    case 'base64':
      return '$' + encodeBase64(sha256(redactedBytes));
    case 'urlsafe-base64':
      return '$' + encodeBase64Url(sha256(redactedBytes));
  }
}
