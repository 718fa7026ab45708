import { computeContentHash } from './hashes.js';
import type { PDU } from './events.js';
import { redactShallow } from './redaction.js';
import type { RoomVersion } from './room-versions.js';
import { signJson, verifyJson } from './signing.js';

/**
 * Event signatures (server-server "Signing Events"): they cover the redacted event, so that they
 * still verify after a redaction, while the content hash they cover vouches for the full content.
 */

type EventLike = { readonly [key: string]: unknown };

/**
 * A copy of `event` with `hashes.sha256` set to its content hash and this server's signature over
 * the redacted form added to `signatures` (other signatures kept). Throws CanonicalJsonError for
 * values without a canonical encoding.
 */
export function signEvent(event: EventLike, rv: RoomVersion, serverName: string, keyId: string, seed: Uint8Array): PDU {
  const hashed = { ...event, hashes: { sha256: computeContentHash(event) } };
  const signed = signJson(redactShallow(hashed, rv), serverName, keyId, seed);
  return { ...hashed, signatures: signed['signatures'] } as unknown as PDU;
}

/**
 * Whether `serverName` signed the event with `keyId`. Works on the full event and on a redacted
 * copy alike; the content hash is a separate check (checkContentHash).
 */
export function verifyEventSignature(event: EventLike, rv: RoomVersion, serverName: string, keyId: string, publicKey: string): boolean {
  return verifyJson(redactShallow(event, rv), serverName, keyId, publicKey);
}
