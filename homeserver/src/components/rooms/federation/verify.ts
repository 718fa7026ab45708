import { canonicalJson } from '../../../core/canonical-json.js';
import type { PDU } from '../../../core/events.js';
import type { EventEncodings } from '../../../core/event-encodings.js';
import { computeEventId } from '../../../core/ids.js';
import { isJsonObject } from '../../../core/json.js';
import { checkPduFormat } from '../../../core/pdu.js';
import { redact } from '../../../core/redaction.js';
import type { RoomVersion } from '../../../core/room-versions.js';
import type { FederationApi, SignedItem } from '../../federation/api.js';
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

/**
 * Checks PDUs of one room version the way the spec asks before anything else looks at them:
 * format, then every required signature over the redacted event (keys fetched once per server,
 * all checks in one batch), then the content hash — an event whose hash does not match is kept in
 * its redacted form. Results come in input order. Each event is encoded once
 * (core/event-encodings.ts): its ID, its signatures, its content hash and its stored form all use
 * that encoding.
 */
export async function verifyPdus(
  values: readonly unknown[],
  rv: RoomVersion,
  federation: Pick<FederationApi, 'verifySignatures'>,
  options: { exceptSigners?: readonly string[] } = {},
): Promise<VerifyResult[]> {
  const results: VerifyResult[] = [];
  const pending: Array<{ index: number; pdu: PDU; encodings: EventEncodings; items: SignedItem[] }> = [];
  for (const value of values) {
    const index = results.length;
    // Thousands of events (a join's state) take seconds to check: let other work in between.
    if (index > 0 && index % 256 === 0) await yieldToEventLoop();
    // `unsigned` is the sender's local data: never trusted, never hashed, never kept.
    const copy = isJsonObject(value) ? { ...value } : value;
    if (isJsonObject(copy)) delete copy['unsigned'];
    const format = checkPduFormat(copy, rv);
    if (!format.ok) {
      results.push({ ok: false, eventId: safeEventId(copy, rv), error: `malformed event: ${format.reason}` });
      continue;
    }
    const { pdu, encodings } = format;
    results.push({ ok: false, eventId: encodings.eventId, error: 'unchecked' });
    // The event as received stands for its redacted form: the same signatures, and the bytes
    // they cover are encoded already.
    const items = requiredSigners(pdu, rv)
      .filter((s) => !options.exceptSigners?.includes(s))
      .map((serverName) => ({ serverName, json: pdu, signedBytes: encodings.redactedBytes, atTs: pdu.origin_server_ts, enforceKeyValidity: rv.enforceKeyValidity }));
    pending.push({ index, pdu, encodings, items });
  }
  const checks = await federation.verifySignatures(pending.flatMap((p) => p.items));
  let at = 0;
  for (const [n, p] of pending.entries()) {
    if (n > 0 && n % 256 === 0) await yieldToEventLoop();
    const mine = checks.slice(at, at + p.items.length);
    at += p.items.length;
    const { eventId, json, contentHashMatches } = p.encodings;
    const failed = mine.find((c) => !c.ok);
    if (failed && !failed.ok) {
      results[p.index] = { ok: false, eventId, error: `signature check failed: ${failed.error}` };
    } else if (contentHashMatches) {
      results[p.index] = { ok: true, event: { eventId, pdu: p.pdu, json } };
    } else {
      const redacted = redact(p.pdu, rv) as unknown as PDU;
      results[p.index] = { ok: true, event: { eventId, pdu: redacted, json: canonicalJson(redacted) } };
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
