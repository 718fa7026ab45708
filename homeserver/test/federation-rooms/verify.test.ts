import test from 'ava';
import { canonicalJson } from '../../src/core/canonical-json.js';
import { signEvent } from '../../src/core/event-signing.js';
import type { PDU } from '../../src/core/events.js';
import { checkContentHash } from '../../src/core/hashes.js';
import { computeEventId } from '../../src/core/ids.js';
import { isJsonObject, type JsonObject } from '../../src/core/json.js';
import { checkPduFormat } from '../../src/core/pdu.js';
import { redact } from '../../src/core/redaction.js';
import { roomVersion, type RoomVersion } from '../../src/core/room-versions.js';
import { generateSigningKey, type SigningKey } from '../../src/core/signing.js';
import type { SignatureBatch, SignedItem } from '../../src/components/federation/api.js';
import { KeyRing } from '../../src/components/federation/keys/key-ring.js';
import type { KnownKey, RemoteKeyStore } from '../../src/components/federation/storage/remote-keys.js';
import { requiredSigners, verifyPdus, type VerifyResult } from '../../src/components/rooms/federation/verify.js';
import { createLogger } from '../../src/log/logger.js';

const ORIGIN = 'origin.test';
const VIA = 'via.test';
const T0 = Date.parse('2025-06-01T00:00:00Z');
const keys: Record<string, SigningKey> = { [ORIGIN]: generateSigningKey(), [VIA]: generateSigningKey() };
/** Keys the key ring does not know. */
const UNKNOWN = 'unknown.test';
const unknownKey = generateSigningKey();

function rv(id: string): RoomVersion {
  const v = roomVersion(id);
  if (v === undefined) throw new Error(`unknown room version ${id}`);
  return v;
}

/** A key ring that knows the keys of origin.test and via.test and can fetch nothing. */
function keyRing(): KeyRing {
  const known = new Map<string, Map<string, KnownKey>>(
    Object.entries(keys).map(([server, k]) => [server, new Map([['ed25519:1', { publicKey: k.publicKey, validUntilTs: T0 + 86_400_000, expiredTs: null }]])]),
  );
  const store = { keysOf: async (server: string) => known.get(server) ?? new Map(), store: async () => undefined } as unknown as RemoteKeyStore;
  const source = {
    direct: () => Promise.reject(new Error('unreachable')),
    viaNotaries: async () => [],
  };
  return new KeyRing({ serverName: 'local.test', ownKeys: () => new Map(), store, source, log: createLogger('silent'), refetchIntervalMs: 3_600_000 });
}

/** How verifyPdus checked events before each was encoded once and checked in chunks. */
async function verifyAsBefore(values: readonly unknown[], version: RoomVersion, ring: KeyRing, exceptSigners: readonly string[] = []): Promise<VerifyResult[]> {
  const results: VerifyResult[] = [];
  const pending: Array<{ index: number; pdu: PDU; eventId: string; redacted: Record<string, unknown>; items: SignedItem[] }> = [];
  for (const value of values) {
    const index = results.length;
    const copy = isJsonObject(value) ? { ...value } : value;
    if (isJsonObject(copy)) delete copy['unsigned'];
    const format = checkPduFormat(copy, version);
    if (!format.ok) {
      let eventId: string | undefined;
      try {
        eventId = isJsonObject(copy) ? computeEventId(copy, version) : undefined;
      } catch {
        eventId = undefined;
      }
      results.push({ ok: false, eventId, error: `malformed event: ${format.reason}` });
      continue;
    }
    const pdu = format.pdu;
    const eventId = computeEventId(pdu, version);
    const redacted = redact(pdu, version);
    results.push({ ok: false, eventId, error: 'unchecked' });
    const items = requiredSigners(pdu, version)
      .filter((s) => !exceptSigners.includes(s))
      .map((serverName) => ({ serverName, json: redacted, atTs: pdu.origin_server_ts, enforceKeyValidity: version.enforceKeyValidity }));
    pending.push({ index, pdu, eventId, redacted, items });
  }
  const checks = await ring.verifySignatures(pending.flatMap((p) => p.items));
  let at = 0;
  for (const p of pending) {
    const mine = checks.slice(at, at + p.items.length);
    at += p.items.length;
    const failed = mine.find((c) => !c.ok);
    if (failed && !failed.ok) {
      results[p.index] = { ok: false, eventId: p.eventId, error: `signature check failed: ${failed.error}` };
      continue;
    }
    const pdu = checkContentHash(p.pdu) ? p.pdu : (p.redacted as unknown as PDU);
    results[p.index] = { ok: true, event: { eventId: p.eventId, pdu, json: canonicalJson(pdu) } };
  }
  return results;
}

// ---- events ----

function eventRef(version: RoomVersion, n: number): unknown {
  const body = String(n).padStart(43, 'A');
  switch (version.eventIdFormat) {
    case 'explicit':
      return [`$e${n}:${ORIGIN}`, { sha256: 'abc' }];
    case 'base64':
      return `$${body.slice(0, 42)}+`;
    case 'urlsafe-base64':
      return `$${body.slice(0, 42)}-`;
  }
}

function roomIdOf(version: RoomVersion): string {
  return version.roomIdFromCreateEvent ? `!${'R'.repeat(43)}` : `!room:${ORIGIN}`;
}

/** Hashed, and signed by each of `signers` (none: an empty `signatures`). */
function sign(fields: JsonObject, version: RoomVersion, signers: readonly string[] = [ORIGIN]): JsonObject {
  let e = { ...signEvent(fields, version, ORIGIN, 'ed25519:1', keys[ORIGIN]!.seed), signatures: {} } as PDU;
  for (const server of signers) e = signEvent(e, version, server, 'ed25519:1', (server === UNKNOWN ? unknownKey : keys[server]!).seed);
  return e as unknown as JsonObject;
}

function member(version: RoomVersion, n: number, content: JsonObject = {}): JsonObject {
  const user = `@u${n}:${ORIGIN}`;
  return {
    ...(version.eventIdFormat === 'explicit' ? { event_id: `$m${n}:${ORIGIN}` } : {}),
    type: 'm.room.member',
    state_key: user,
    sender: user,
    room_id: roomIdOf(version),
    origin_server_ts: T0 + n,
    depth: n + 1,
    prev_events: [eventRef(version, n)],
    auth_events: [eventRef(version, n + 100_000)],
    content: { membership: 'join', displayname: `User ${n}`, ...content },
  } as JsonObject;
}

/** A batch of every kind of outcome, `n` events long, in a fixed mix. */
function mixedBatch(version: RoomVersion, n: number): unknown[] {
  const out: unknown[] = [];
  for (let i = 0; i < n; i++) {
    const good = sign(member(version, i), version);
    switch (i % 13) {
      case 1: // the redacted form changed: the signature fails
        out.push({ ...good, content: { ...(good['content'] as JsonObject), membership: 'leave' } });
        break;
      case 2: // only unredacted content changed: the signature holds, the hash does not, kept redacted
        out.push({ ...good, content: { ...(good['content'] as JsonObject), displayname: 'Mallory' } });
        break;
      case 3: // malformed: no type
        out.push({ ...good, type: undefined, ...{} } as unknown as JsonObject);
        delete (out[out.length - 1] as JsonObject)['type'];
        break;
      case 4: // no canonical form, outside the redacted part: malformed, but it has an event ID
        out.push({ ...good, content: { ...(good['content'] as JsonObject), displayname: 1.5 } });
        break;
      case 5: // a lone surrogate in a kept field
        out.push({ ...good, content: { ...(good['content'] as JsonObject), membership: 'jo\ud800in' } });
        break;
      case 6: // unsigned data is dropped before anything else
        out.push({ ...good, unsigned: { age: 12, float: 1.5 } });
        break;
      case 7: // signed by a server whose keys we do not have
        out.push(sign({ ...member(version, i), sender: `@u${i}:${UNKNOWN}`, state_key: `@u${i}:${UNKNOWN}` }, version, [UNKNOWN]));
        break;
      case 8: // not an object at all
        out.push(i % 2 === 0 ? 'a string' : null);
        break;
      case 9: // a restricted join needs the authorising server's signature too (v8+)
        out.push(sign(member(version, i, { join_authorised_via_users_server: `@admin:${VIA}` }), version, [ORIGIN, VIA]));
        break;
      case 10: // the same without it
        out.push(sign(member(version, i, { join_authorised_via_users_server: `@admin:${VIA}` }), version));
        break;
      case 11: // no hashes at all: malformed
        out.push({ ...good, hashes: {} });
        break;
      default:
        out.push(good);
    }
  }
  return out;
}

const ALL_VERSIONS = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12'];

for (const id of ALL_VERSIONS) {
  test(`room version ${id}: the same results as before for every kind of event, over several chunks`, async (t) => {
    const version = rv(id);
    const values = mixedBatch(version, id === '11' ? 2000 : 140);
    const ring = keyRing();
    const expected = await verifyAsBefore(values, version, ring);
    const actual = await verifyPdus(values, version, { signatureBatch: (e) => ring.batch(e) });
    t.is(actual.length, values.length);
    for (let i = 0; i < values.length; i++) t.deepEqual(actual[i], expected[i], `event ${i} (kind ${i % 13})`);
    // The kinds come out as they should, not only as they did.
    const kinds = (k: number): VerifyResult[] => actual.filter((_, i) => i % 13 === k);
    t.true(kinds(0).every((r) => r.ok));
    t.true(kinds(1).every((r) => !r.ok && r.error.startsWith('signature check failed')));
    t.true(kinds(2).every((r) => r.ok && (r.event.pdu.content as JsonObject)['displayname'] === undefined && r.event.json === canonicalJson(r.event.pdu)));
    t.true(kinds(3).every((r) => !r.ok && r.error === 'malformed event: type must be a string'));
    t.true(kinds(4).every((r) => !r.ok && r.error === 'malformed event: not canonical JSON: floats are not allowed: 1.5' && r.eventId !== undefined));
    t.true(kinds(5).every((r) => !r.ok && r.error === 'malformed event: not canonical JSON: string contains a lone surrogate' && (r.eventId === undefined) === (version.eventIdFormat !== 'explicit')));
    t.true(kinds(6).every((r) => r.ok && !('unsigned' in r.event.pdu)));
    t.true(kinds(7).every((r) => !r.ok && /no signature of unknown\.test by a known key/.test(r.error)));
    t.true(kinds(8).every((r) => !r.ok && r.eventId === undefined));
    t.true(kinds(9).every((r) => r.ok));
    t.is(kinds(10).every((r) => r.ok), !version.restrictedJoins);
    t.true(kinds(11).every((r) => !r.ok && r.error.startsWith('malformed event')));
    for (const r of kinds(0)) if (r.ok) t.is(r.event.json, canonicalJson(r.event.pdu));
  });
}

test('signers named in exceptSigners are not checked, as before', async (t) => {
  const version = rv('11');
  const values = [sign(member(version, 1), version, []), sign(member(version, 2, { join_authorised_via_users_server: `@admin:${VIA}` }), version, [VIA])];
  const ring = keyRing();
  const options = { exceptSigners: [ORIGIN] };
  const actual = await verifyPdus(values, version, { signatureBatch: (e) => ring.batch(e) }, options);
  t.deepEqual(actual, await verifyAsBefore(values, version, ring, options.exceptSigners));
  t.deepEqual(actual.map((r) => r.ok), [true, true]);
});

test('signatures are handed over a chunk at a time as events are encoded, keys announced for all at once', async (t) => {
  const version = rv('11');
  const values = mixedBatch(version, 2000);
  const ring = keyRing();
  const announced: number[] = [];
  const chunks: number[] = [];
  const federation = {
    signatureBatch(expected: readonly SignedItem[]): SignatureBatch {
      announced.push(expected.length);
      const batch = ring.batch(expected);
      return {
        check(items) {
          chunks.push(items.length);
          t.true(items.every((item) => item.signedBytes !== undefined));
          return batch.check(items);
        },
      };
    },
  };
  const results = await verifyPdus(values, version, federation);
  t.deepEqual(results, await verifyAsBefore(values, version, ring));
  const encoded = values.filter((_, i) => ![3, 4, 5, 8, 11].includes(i % 13)).length;
  t.is(announced.length, 1);
  t.true(chunks.length >= 3, `${chunks.join(', ')}`);
  // Announced: every event whose fields passed; checked: those that had a canonical encoding too.
  const checked = chunks.reduce((a, b) => a + b, 0);
  t.true(checked >= encoded && checked < announced[0]!, `${encoded} encoded, ${checked} checked, ${announced[0]} announced`);
  t.true(chunks.slice(0, -1).every((n) => n >= 512), 'full chunks but the last');
});

test('an empty batch, and one of nothing but malformed events', async (t) => {
  const ring = keyRing();
  const federation = { signatureBatch: (e: readonly SignedItem[]) => ring.batch(e) };
  t.deepEqual(await verifyPdus([], rv('11'), federation), []);
  const bad = [null, 'x', { type: 'm.room.member' }, { ...sign(member(rv('11'), 1), rv('11')), depth: 1.5 }];
  t.deepEqual(await verifyPdus(bad, rv('11'), federation), await verifyAsBefore(bad, rv('11'), ring));
});

test('a failure to get keys fails the whole call, as before', async (t) => {
  const version = rv('11');
  const failing = { signatureBatch: (): SignatureBatch => ({ check: () => Promise.reject(new Error('database down')) }) };
  await t.throwsAsync(verifyPdus(mixedBatch(version, 1100), version, failing), { message: 'database down' });
});
