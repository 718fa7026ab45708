import { canonicalJson } from '../../../core/canonical-json.js';
import type { PDU } from '../../../core/events.js';
import type { EventEncodings } from '../../../core/event-encodings.js';
import { computeEventId } from '../../../core/ids.js';
import { isJsonObject } from '../../../core/json.js';
import { checkPduEncoding, checkPduFields } from '../../../core/pdu.js';
import { redact } from '../../../core/redaction.js';
import type { RoomVersion } from '../../../core/room-versions.js';
import type { FederationApi, SignatureCheck, SignedItem } from '../../federation/api.js';
import { serverOf } from '../hosts.js';
import { yieldToEventLoop } from '../../../core/state-res/store.js';

/** A PDU from another server after format, signature and hash checks. */
export interface CheckedPdu {
  eventId: string;
  /** As received without `unsigned`, or its redacted form when the content hash did not match. */
  pdu: PDU;
  json: string;
}

export type VerifyResult = { ok: true; event: CheckedPdu } | { ok: false; eventId: string | undefined; error: string };

/** Servers whose signatures an event must carry (server-server "Validating hashes and signatures on received events"). */
export function requiredSigners(pdu: PDU, rv: RoomVersion): string[] {
  const servers = new Set([serverOf(pdu.sender)]);
  if (pdu.type === 'm.room.member' && pdu.content.membership === 'join' && rv.restrictedJoins) {
    const via = pdu.content.join_authorised_via_users_server;
    if (typeof via === 'string' && via.includes(':')) servers.add(serverOf(via));
  }
  return [...servers];
}

/** Events encoded between two hand-overs to the signature pool. */
const CHUNK = 512;
/** Events looked at between two turns of the event loop: thousands (a join's state) take seconds. */
const YIELD_EVERY = 256;

/** An event whose fields passed, with the signatures it must carry. */
interface WellFormed {
  index: number;
  pdu: PDU;
  items: SignedItem[];
}

/** An event encoded and handed over for its signature checks. */
interface Encoded extends WellFormed {
  encodings: EventEncodings;
}

/**
 * Checks PDUs of one room version the way the spec asks before anything else looks at them:
 * format, then every required signature over the redacted event (keys fetched once per server),
 * then the content hash — an event whose hash does not match is kept in its redacted form.
 * Results come in input order. Each event is encoded once (core/event-encodings.ts), and its
 * signatures start verifying on the signature pool's threads a chunk at a time while later events
 * are still being encoded.
 */
export async function verifyPdus(
  values: readonly unknown[],
  rv: RoomVersion,
  federation: Pick<FederationApi, 'signatureBatch'>,
  options: { exceptSigners?: readonly string[] } = {},
): Promise<VerifyResult[]> {
  const results = new Array<VerifyResult>(values.length);
  const malformed = (index: number, event: unknown, reason: string): void => {
    results[index] = { ok: false, eventId: safeEventId(event, rv), error: `malformed event: ${reason}` };
  };

  // First what needs no encoding, so that the keys of every signature to check are known (and
  // fetched meanwhile) before the first chunk is encoded.
  const wellFormed: WellFormed[] = [];
  for (const [index, value] of values.entries()) {
    if (index > 0 && index % YIELD_EVERY === 0) await yieldToEventLoop();
    // `unsigned` is the sender's local data: never trusted, never hashed, never kept.
    const copy = isJsonObject(value) ? { ...value } : value;
    if (isJsonObject(copy)) delete copy['unsigned'];
    const fields = checkPduFields(copy, rv);
    if (!fields.ok) {
      malformed(index, copy, fields.reason);
      continue;
    }
    const pdu = fields.pdu;
    // The event as received stands for its redacted form: the same signatures, and the bytes
    // they cover come with the chunk.
    const items = requiredSigners(pdu, rv)
      .filter((s) => !options.exceptSigners?.includes(s))
      .map((serverName): SignedItem => ({ serverName, json: pdu, atTs: pdu.origin_server_ts, enforceKeyValidity: rv.enforceKeyValidity }));
    wellFormed.push({ index, pdu, items });
  }
  const batch = federation.signatureBatch(wellFormed.flatMap((e) => e.items));

  const chunks: Array<{ events: Encoded[]; checks: Promise<SignatureCheck[]> }> = [];
  let chunk: Encoded[] = [];
  const handOver = (): void => {
    const checks = batch.check(chunk.flatMap((e) => e.items.map((item) => ({ ...item, signedBytes: e.encodings.redactedBytes }))));
    // Awaited below, once every chunk is encoded; a failure must not count as unhandled meanwhile.
    checks.catch(() => undefined);
    chunks.push({ events: chunk, checks });
    chunk = [];
  };
  for (const [n, e] of wellFormed.entries()) {
    if (n > 0 && n % YIELD_EVERY === 0) await yieldToEventLoop();
    const encoded = checkPduEncoding(e.pdu, rv);
    if (!encoded.ok) {
      malformed(e.index, e.pdu, encoded.reason);
      continue;
    }
    chunk.push({ ...e, encodings: encoded.encodings });
    if (chunk.length === CHUNK) handOver();
  }
  if (chunk.length > 0) handOver();

  let n = 0;
  for (const { events, checks } of chunks) {
    const outcomes = await checks;
    let at = 0;
    for (const e of events) {
      if (n > 0 && n % YIELD_EVERY === 0) await yieldToEventLoop();
      n++;
      const mine = outcomes.slice(at, at + e.items.length);
      at += e.items.length;
      const { eventId, json, contentHashMatches } = e.encodings;
      const failed = mine.find((c) => !c.ok);
      if (failed && !failed.ok) {
        results[e.index] = { ok: false, eventId, error: `signature check failed: ${failed.error}` };
      } else if (contentHashMatches) {
        results[e.index] = { ok: true, event: { eventId, pdu: e.pdu, json } };
      } else {
        const redacted = redact(e.pdu, rv) as unknown as PDU;
        results[e.index] = { ok: true, event: { eventId, pdu: redacted, json: canonicalJson(redacted) } };
      }
    }
  }
  return results;
}

function safeEventId(value: unknown, rv: RoomVersion): string | undefined {
  try {
    return isJsonObject(value) ? computeEventId(value, rv) : undefined;
  } catch {
    return undefined;
  }
}
