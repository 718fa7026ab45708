import test, { type ExecutionContext } from 'ava';
import { createHash } from 'node:crypto';
import { canonicalJson, canonicalJsonBytes, CanonicalJsonError, MAX_NESTING_DEPTH } from '../../src/core/canonical-json.js';
import { encodeEvent } from '../../src/core/event-encodings.js';
import { signEvent } from '../../src/core/event-signing.js';
import { checkContentHash, computeReferenceHash } from '../../src/core/hashes.js';
import { computeEventId } from '../../src/core/ids.js';
import type { JsonObject } from '../../src/core/json.js';
import { redact } from '../../src/core/redaction.js';
import { roomVersion, type RoomVersion } from '../../src/core/room-versions.js';
import { generateSigningKey } from '../../src/core/signing.js';
import { loadVector } from '../helpers/vectors.js';

const ALL_VERSIONS = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12'];

function rv(id: string): RoomVersion {
  const v = roomVersion(id);
  if (v === undefined) throw new Error(`unknown room version ${id}`);
  return v;
}

type Outcome =
  | { json: string; redacted: string; referenceHash: string; eventId: string; contentHashMatches: boolean }
  | { error: string; message: string };

function errorOutcome(err: unknown): Outcome {
  return { error: (err as Error).name, message: (err as Error).message };
}

/** What the functions that were there before give, in the order a received event met them. */
function before(event: JsonObject, version: RoomVersion): Outcome {
  try {
    const json = canonicalJson(event);
    const eventId = computeEventId(event, version);
    const r = redact(event, version);
    delete r['signatures'];
    delete r['unsigned'];
    return {
      json,
      redacted: canonicalJsonBytes(r).toString('hex'),
      referenceHash: computeReferenceHash(event, version).toString('hex'),
      eventId,
      contentHashMatches: checkContentHash(event),
    };
  } catch (err) {
    return errorOutcome(err);
  }
}

function now(event: JsonObject, version: RoomVersion): Outcome {
  try {
    const e = encodeEvent(event, version);
    return {
      json: e.json,
      redacted: e.redactedBytes.toString('hex'),
      referenceHash: createHash('sha256').update(e.redactedBytes).digest('hex'),
      eventId: e.eventId,
      contentHashMatches: e.contentHashMatches,
    };
  } catch (err) {
    return errorOutcome(err);
  }
}

function same(t: ExecutionContext, event: JsonObject, version: string, note?: string): Outcome {
  const expected = before(event, rv(version));
  t.deepEqual(now(event, rv(version)), expected, `${note ?? canonicalJsonOrWhy(event)} in room version ${version}`);
  return expected;
}

function canonicalJsonOrWhy(event: JsonObject): string {
  try {
    return canonicalJson(event).slice(0, 200);
  } catch (err) {
    return `(no canonical JSON: ${(err as Error).message})`;
  }
}

// ---- the shared vectors ----

interface EventIdVector {
  name: string;
  room_version: string;
  event: JsonObject;
  expected_event_id: string;
}
interface RedactionCase {
  name: string;
  input: JsonObject;
  applies_to_room_versions: string[];
}
interface AppendixVectors {
  signing: { event_signing: { cases: { input: JsonObject; expected_signed: JsonObject }[] } };
}

const eventIdVectors = loadVector<{ vectors: EventIdVector[] }>('event-ids.json').vectors;
const redactionCases = loadVector<{ cases: RedactionCase[] }>('redaction.json').cases;
const appendix = loadVector<AppendixVectors>('spec-appendix.json');

for (const v of eventIdVectors) {
  test(`event-ids vector ${v.name}: the published event ID, the same bytes as before in every room version`, (t) => {
    t.is(encodeEvent(v.event, rv(v.room_version)).eventId, v.expected_event_id);
    for (const version of ALL_VERSIONS) same(t, v.event, version);
  });
}

test('redaction vectors: the same bytes as before in every room version', (t) => {
  for (const c of redactionCases) {
    for (const version of ALL_VERSIONS) same(t, c.input, version, c.name);
  }
});

test('spec appendix signed events: the content hash matches, the same bytes as before', (t) => {
  for (const c of appendix.signing.event_signing.cases) {
    for (const version of ALL_VERSIONS) {
      const outcome = same(t, c.expected_signed, version);
      // Room versions 1 and 2 need an event_id, which the first case does not carry.
      if ('error' in outcome) t.true(rv(version).eventIdFormat === 'explicit' && !('event_id' in c.expected_signed));
      else t.true(outcome.contentHashMatches);
    }
  }
});

// ---- shapes of our own ----

const key = generateSigningKey();

/** Events of every type the redaction rules treat apart, and some they do not. */
function shapes(): JsonObject[] {
  const common = {
    room_id: '!room:origin.test',
    sender: '@alice:origin.test',
    origin: 'origin.test',
    origin_server_ts: 1_700_000_000_000,
    depth: 12,
    prev_events: ['$prev'],
    auth_events: ['$auth1', '$auth2'],
    membership: 'join',
    prev_state: [],
    unsigned: { age: 5, 'm.relations': { x: 1 } },
  };
  return [
    { ...common, type: 'm.room.member', state_key: '@alice:origin.test', content: { membership: 'join', displayname: 'Alice', avatar_url: 'mxc://a/b', join_authorised_via_users_server: '@admin:origin.test' } },
    { ...common, type: 'm.room.member', state_key: '@bob:other.test', content: { membership: 'invite', third_party_invite: { display_name: 'Bob', signed: { mxid: '@bob:other.test', token: 't', signatures: { 'id.test': { 'ed25519:0': 'sig' } } } } } },
    { ...common, type: 'm.room.member', state_key: '@bob:other.test', content: { membership: 'invite', third_party_invite: { display_name: 'Bob' } } },
    { ...common, type: 'm.room.member', state_key: '@bob:other.test', content: { membership: 'invite', third_party_invite: 'not an object' } },
    { ...common, type: 'm.room.create', state_key: '', content: { creator: '@alice:origin.test', room_version: '11', 'm.federate': true, predecessor: { room_id: '!old:x', event_id: '$e' } } },
    { ...common, type: 'm.room.join_rules', state_key: '', content: { join_rule: 'restricted', allow: [{ type: 'm.room_membership', room_id: '!a:b' }], other: 1 } },
    { ...common, type: 'm.room.power_levels', state_key: '', content: { ban: 50, events: { 'm.room.name': 50 }, events_default: 0, invite: 0, kick: 50, notifications: { room: 50 }, redact: 50, state_default: 50, users: { '@alice:origin.test': 100 }, users_default: 0 } },
    { ...common, type: 'm.room.history_visibility', state_key: '', content: { history_visibility: 'shared', extra: [1, 2] } },
    { ...common, type: 'm.room.aliases', state_key: 'origin.test', content: { aliases: ['#a:origin.test'] } },
    { ...common, type: 'm.room.redaction', redacts: '$target', content: { redacts: '$target', reason: 'spam' } },
    { ...common, type: 'm.room.message', content: { msgtype: 'm.text', body: 'héllo 😀 "quoted" \\ \n\u0001', formatted: { nested: [[[{ deep: null }]]] } } },
    { ...common, type: 'org.example.custom', state_key: 'x', content: { a: true, b: false, c: -0, d: 9007199254740991, e: -9007199254740991 } },
    { ...common, type: 'm.room.message', content: {} },
    { ...common, type: 'm.room.message' }, // no content at all
    { ...common, type: 'm.room.member', content: ['membership'] }, // content not an object
    { ...common, type: 'm.room.member', content: null },
    { ...common, type: 5, content: { membership: 'join' } }, // type not a string
    { type: 'm.room.message', content: { body: 'only two keys' } },
    {},
  ] as JsonObject[];
}

/** Top-level keys that sort around the ones the encodings treat apart, or that redaction keeps. */
const AWKWARD_KEYS = [
  'conten',
  'content\u0000',
  'contenta',
  'contemplate',
  'cont',
  'hashe',
  'hashes\u0000',
  'hashesz',
  'signature',
  'signaturesa',
  'unsigne',
  'unsignedz',
  'a',
  'zzz',
  'é',
  '\uE000',
  '\uFFFF',
  '\u{10000}',
  '\u{1F600}',
  'c\u{1F600}',
  'content\u{1F600}',
  'event_id',
  'redacts',
  'state_key',
];

function withAwkwardKeys(event: JsonObject, keys: readonly string[]): JsonObject {
  const out: JsonObject = { ...event };
  keys.forEach((k, i) => (out[k] = i % 2 === 0 ? `value of ${k}` : { k: [i] }));
  return out;
}

function signed(event: JsonObject, version: string): JsonObject {
  return signEvent(event, rv(version), 'origin.test', 'ed25519:1', key.seed) as unknown as JsonObject;
}

test('every shape, signed or not, in every room version: the same bytes as before', (t) => {
  for (const version of ALL_VERSIONS) {
    for (const shape of shapes()) {
      same(t, shape, version);
      same(t, signed(shape, version), version);
      const s = signed({ ...shape, event_id: '$explicit:origin.test' }, version);
      const outcome = same(t, s, version);
      t.true('contentHashMatches' in outcome && outcome.contentHashMatches, 'a freshly signed event matches its hash');
      same(t, { ...s, content: { tampered: true } }, version);
      same(t, { ...s, hashes: { sha256: 'not base64!' } }, version);
      same(t, { ...s, hashes: { sha256: 5 } }, version);
      same(t, { ...s, hashes: 'x' }, version);
      same(t, { ...s, hashes: { other: 'abc' } }, version);
      const noHashes = { ...s };
      delete noHashes['hashes'];
      same(t, noHashes, version);
    }
  }
});

test('awkward top-level keys: around content, hashes and signatures, non-ASCII, astral, one at a time and all together', (t) => {
  for (const version of ALL_VERSIONS) {
    for (const shape of shapes().slice(0, 13)) {
      for (const k of AWKWARD_KEYS) same(t, signed(withAwkwardKeys(shape, [k]), version), version);
      same(t, signed(withAwkwardKeys(shape, AWKWARD_KEYS), version), version);
      same(t, withAwkwardKeys(signed(shape, version), AWKWARD_KEYS), version, 'keys added after signing');
    }
  }
});

test('__proto__ keys from JSON.parse, at the top level and in content kept whole', (t) => {
  const texts = [
    '{"type":"m.room.create","room_id":"!r:x","sender":"@a:x","__proto__":{"polluted":1},"content":{"__proto__":{"x":1},"creator":"@a:x"},"hashes":{"sha256":"abc"},"signatures":{"x":{"ed25519:1":"s"}}}',
    '{"type":"m.room.member","state_key":"@a:x","room_id":"!r:x","sender":"@a:x","content":{"membership":"join","__proto__":"m"},"__proto__":null}',
    '{"type":"m.room.power_levels","state_key":"","content":{"users":{"__proto__":100},"__proto__":{"ban":1}},"signatures":{"__proto__":{"ed25519:1":"s"}},"unsigned":{"__proto__":1}}',
  ];
  for (const text of texts) {
    for (const version of ALL_VERSIONS) {
      same(t, JSON.parse(text) as JsonObject, version);
      same(t, signed(JSON.parse(text) as JsonObject, version), version);
    }
  }
  t.is(({} as { polluted?: number }).polluted, undefined);
});

// ---- bad input ----

function nested(depth: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = i % 2 === 0 ? [v] : { n: v };
  return v;
}

test('values without a canonical encoding fail the same way, wherever they are', (t) => {
  const base = signed(shapes()[0]!, '11');
  const bad: Array<[string, unknown]> = [
    ['a float', 1.5],
    ['NaN', NaN],
    ['an integer beyond 2^53', 2 ** 53],
    ['a lone surrogate', 'ab\ud800c'],
    ['a trailing high surrogate', 'x\udbff'],
    ['a Date', new Date(0)],
    ['a Map', new Map()],
    ['undefined', undefined],
    ['a bigint', 5n],
    ['nesting beyond the limit', nested(MAX_NESTING_DEPTH)],
  ];
  for (const [what, value] of bad) {
    const places: JsonObject[] = [
      { ...base, content: { ...(base['content'] as JsonObject), body: value } } as JsonObject, // dropped by redaction
      { ...base, content: { ...(base['content'] as JsonObject), membership: value } } as JsonObject, // kept by redaction
      { ...base, depth: value } as JsonObject,
      { ...base, unsigned: { age: value } } as JsonObject,
      { ...base, signatures: { 'origin.test': { 'ed25519:1': value } } } as JsonObject,
      { ...base, hashes: { sha256: value } } as JsonObject,
      { ...base, zzz: value } as JsonObject,
      { ...base, a: value, zzz: 1.5 } as JsonObject, // two problems: the first in key order reports
    ];
    for (const version of ALL_VERSIONS) {
      for (const e of places) {
        const outcome = same(t, e, version, `${what} in ${Object.keys(e).join(',')}`);
        t.true('error' in outcome, `${what} has no canonical form`);
      }
    }
  }
});

test('nesting up to the limit passes, one level more fails, in content as at the top level', (t) => {
  const base = signed({ ...shapes()[10]!, event_id: '$e:origin.test' }, '11');
  // The event is one level, content a second: its values may nest MAX_NESTING_DEPTH - 2 more.
  for (const depth of [MAX_NESTING_DEPTH - 2, MAX_NESTING_DEPTH - 1]) {
    const inContent = { ...base, content: { body: nested(depth) } } as JsonObject;
    const atTop = { ...base, zzz: { body: nested(depth) } } as JsonObject;
    for (const version of ALL_VERSIONS) {
      t.is('error' in same(t, inContent, version, `content nested ${depth}`), depth === MAX_NESTING_DEPTH - 1);
      t.is('error' in same(t, atTop, version, `zzz nested ${depth}`), depth === MAX_NESTING_DEPTH - 1);
    }
  }
});

test('lone surrogates in keys fail the same way, at the top level and inside content', (t) => {
  const base = signed(shapes()[0]!, '10');
  for (const version of ALL_VERSIONS) {
    const top = { ...base, ['x\udc00']: 1 } as JsonObject;
    const inContent = { ...base, content: { membership: 'join', ['\ud800']: 1 } } as JsonObject;
    const outcome = same(t, top, version);
    t.like(outcome, { error: 'CanonicalJsonError' });
    t.like(same(t, inContent, version), { error: 'CanonicalJsonError' });
  }
});

test('an event of a plain-object kind only: arrays and class instances are refused', (t) => {
  t.throws(() => encodeEvent([] as unknown as JsonObject, rv('11')), { instanceOf: CanonicalJsonError });
  t.throws(() => encodeEvent(new Date() as unknown as JsonObject, rv('11')), { instanceOf: CanonicalJsonError, message: /plain objects/ });
  const bare = Object.assign(Object.create(null) as JsonObject, { type: 'm.room.message', content: { body: 'x' } });
  same(t, bare, '11', 'an object without a prototype');
});

test('v1 and v2 events without an event_id fail as computeEventId does; with one they keep it', (t) => {
  const e = signed(shapes()[0]!, '1');
  for (const version of ['1', '2']) {
    const outcome = same(t, e, version);
    t.true('error' in outcome && outcome.message.includes('must carry an event_id'));
    t.like(same(t, { ...e, event_id: '$abc:origin.test' }, version), { eventId: '$abc:origin.test' });
  }
});

// ---- random events ----

/** A small seeded generator (mulberry32): the same events on every run. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let r = Math.imul(a ^ (a >>> 15), 1 | a);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
}

const TYPES = ['m.room.member', 'm.room.create', 'm.room.join_rules', 'm.room.power_levels', 'm.room.history_visibility', 'm.room.aliases', 'm.room.redaction', 'm.room.message', 'x.other'];
const CONTENT_KEYS = ['membership', 'join_authorised_via_users_server', 'third_party_invite', 'creator', 'join_rule', 'allow', 'ban', 'events', 'events_default', 'kick', 'redact', 'state_default', 'users', 'users_default', 'invite', 'history_visibility', 'aliases', 'redacts', 'body', 'signed', '__proto__', 'é', '\u{1F600}'];
const TOP_KEYS = [
  'event_id', 'type', 'room_id', 'sender', 'state_key', 'content', 'hashes', 'signatures', 'depth', 'prev_events', 'prev_state',
  'auth_events', 'origin', 'origin_server_ts', 'membership', 'unsigned', 'redacts', ...AWKWARD_KEYS,
];
const STRINGS = ['', 'a', 'join', 'é', '😀', '\uFFFF', '"\\', '\u0000\u001f', 'line\nbreak', '@u:x', '$e'];

function randomValue(next: () => number, depth: number): unknown {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
  const r = next();
  if (depth > 3 || r < 0.4) return pick<unknown>([...STRINGS, 0, -1, 42, 2 ** 53 - 1, true, false, null]);
  if (r < 0.6) return Array.from({ length: Math.floor(next() * 4) }, () => randomValue(next, depth + 1));
  const out: Record<string, unknown> = {};
  for (let i = Math.floor(next() * 5); i > 0; i--) {
    Object.defineProperty(out, pick(next() < 0.7 ? CONTENT_KEYS : STRINGS), { value: randomValue(next, depth + 1), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

test('2,000 random events in every room version: the same bytes as before', (t) => {
  const next = random(20261122);
  for (let n = 0; n < 2000; n++) {
    const e: Record<string, unknown> = {};
    for (const k of TOP_KEYS) {
      if (next() < 0.5) continue;
      e[k] = k === 'type' && next() < 0.9 ? TYPES[Math.floor(next() * TYPES.length)] : k === 'content' ? randomValue(next, 3 - Math.floor(next() * 3)) : randomValue(next, 2);
    }
    if (next() < 0.1) e['content'] = { membership: 1.5 };
    let event = e as JsonObject;
    try {
      if (next() < 0.5) event = signed(event, '11');
    } catch {
      // no canonical form: compared unsigned
    }
    for (const version of ALL_VERSIONS) same(t, event, version, `random event ${n}`);
  }
});
