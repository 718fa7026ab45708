import type { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';
import { decodeBase64, encodeBase64 } from './base64.js';
import { canonicalJsonBytes } from './canonical-json.js';
import { redactShallow } from './redaction.js';
import type { RoomVersion } from './room-versions.js';

/**
 * The two event hashes of the server-server API ("Calculating the content hash / reference hash
 * for an event"). Both take any event-shaped object: v1/v2 events (prev_events as pairs) do not fit
 * the PDU type but are hashed the same way.
 */

type EventLike = { readonly [key: string]: unknown };

function sha256(bytes: Buffer): Buffer {
  return createHash('sha256').update(bytes).digest();
}

function without(event: EventLike, keys: readonly string[]): Record<string, unknown> {
  // Spread keeps a `__proto__` key from JSON.parse an ordinary key.
  const out: Record<string, unknown> = { ...event };
  for (const k of keys) delete out[k];
  return out;
}

const CONTENT_HASH_EXCLUDED = ['unsigned', 'signatures', 'hashes'] as const;

/** SHA-256 over the whole event except `unsigned`, `signatures` and `hashes`, unpadded base64. */
export function computeContentHash(event: EventLike): string {
  return encodeBase64(sha256(canonicalJsonBytes(without(event, CONTENT_HASH_EXCLUDED))));
}

/**
 * Whether `hashes.sha256` matches the content. False for a missing or undecodable hash and for
 * events with no canonical encoding: either way the event must be treated as redacted.
 */
export function checkContentHash(event: EventLike): boolean {
  const claimed = claimedContentHash(event);
  if (claimed === undefined) return false;
  let actual: Buffer;
  try {
    actual = sha256(canonicalJsonBytes(without(event, CONTENT_HASH_EXCLUDED)));
  } catch {
    return false;
  }
  return claimed.equals(actual);
}

/** The decoded `hashes.sha256` of an event; undefined when it is missing or not base64. */
export function claimedContentHash(event: EventLike): Buffer | undefined {
  const hashes = event['hashes'];
  if (typeof hashes !== 'object' || hashes === null || !Object.hasOwn(hashes, 'sha256')) return undefined;
  const claimed = (hashes as Record<string, unknown>)['sha256'];
  if (typeof claimed !== 'string') return undefined;
  try {
    return decodeBase64(claimed);
  } catch {
    return undefined;
  }
}

/**
 * SHA-256 of the redacted event without `signatures` and `unsigned`: the event ID (v3+) and, for
 * a v12 create event, the room ID. Throws CanonicalJsonError when the event has no canonical form.
 */
export function computeReferenceHash(event: EventLike, rv: RoomVersion): Buffer {
  const redacted = redactShallow(event, rv);
  delete redacted['signatures'];
  delete redacted['unsigned'];
  return sha256(canonicalJsonBytes(redacted));
}
