import test from 'ava';
import { Buffer } from 'node:buffer';
import { canonicalJson } from '../../src/core/canonical-json.js';
import type { JsonObject } from '../../src/core/json.js';
import type { PDU } from '../../src/core/events.js';
import { computeEventId } from '../../src/core/ids.js';
import { checkPduEncoding, checkPduFields, checkPduFormat, MAX_PDU_BYTES } from '../../src/core/pdu.js';
import { roomVersion, type RoomVersion } from '../../src/core/room-versions.js';
import { loadVector } from '../helpers/vectors.js';

interface EventIdVector {
  name: string;
  room_version: string;
  event: JsonObject;
}

const vectors = loadVector<{ vectors: EventIdVector[] }>('event-ids.json').vectors;
const appendix = loadVector<{ signing: { event_signing: { cases: { expected_signed: JsonObject }[] } } }>('spec-appendix.json');

function rv(id: string): RoomVersion {
  const v = roomVersion(id);
  if (v === undefined) throw new Error(`unknown room version ${id}`);
  return v;
}

function reasonOf(value: unknown, version: string): string | undefined {
  const r = checkPduFormat(value, rv(version));
  return r.ok ? undefined : r.reason;
}

for (const v of vectors) {
  test(`event-ids vector ${v.name} has a valid PDU format in room version ${v.room_version}`, (t) => {
    const r = checkPduFormat(v.event, rv(v.room_version));
    t.true(r.ok, r.ok ? '' : r.reason);
    if (r.ok) t.is(r.pdu as unknown, v.event);
  });
}

test('the spec appendix signed event is a valid v10 PDU', (t) => {
  t.is(reasonOf(appendix.signing.event_signing.cases[0]!.expected_signed, '10'), undefined);
});

const HASH_A = '$8y1VSzjzvQvb2DJj3QKmu9BuQWd1q4vtNG-xWfIqQNM';
const HASH_B = '$zhxW75KZB4UwZx7XByL8FEw597ZdrggIFCbBVanN6PE';

const good: JsonObject = {
  room_id: '!r:example.org',
  sender: '@a:example.org',
  type: 'm.room.message',
  content: { body: 'hi' },
  origin_server_ts: 1700000000000,
  depth: 5,
  prev_events: [HASH_A],
  auth_events: [HASH_B],
  hashes: { sha256: 'abc' },
  signatures: { 'example.org': { 'ed25519:1': 'sig' } },
  unsigned: { age: 1 },
};

function without(key: string): JsonObject {
  const { [key]: _, ...rest } = good;
  return rest;
}

test('the baseline event is valid in v10, v11 and v12', (t) => {
  t.is(reasonOf(good, '10'), undefined);
  t.is(reasonOf(good, '11'), undefined);
  t.is(reasonOf({ ...good, room_id: '!' + HASH_A.slice(1) }, '12'), undefined);
});

test('required fields', (t) => {
  for (const key of ['room_id', 'sender', 'type', 'content', 'origin_server_ts', 'depth', 'prev_events', 'auth_events', 'hashes', 'signatures']) {
    t.regex(reasonOf(without(key), '11') ?? '', new RegExp(`^${key}`), key);
  }
  t.is(reasonOf(without('unsigned'), '11'), undefined);
});

test('field types', (t) => {
  const bad: [string, unknown][] = [
    ['type', 5],
    ['sender', 'not-a-user'],
    ['sender', '@a:bad host'],
    ['room_id', 'r:example.org'],
    ['state_key', null],
    ['state_key', 5],
    ['content', []],
    ['content', 'x'],
    ['origin_server_ts', '1'],
    ['depth', '5'],
    ['hashes', { sha256: 5 }],
    ['hashes', {}],
    ['hashes', 'x'],
    ['signatures', { 'example.org': 'sig' }],
    ['signatures', { 'example.org': { 'ed25519:1': 5 } }],
    ['signatures', []],
    ['unsigned', 'x'],
    ['prev_events', HASH_A],
    ['prev_events', [5]],
    ['auth_events', [null]],
    ['event_id', 5],
  ];
  for (const [key, value] of bad) t.truthy(reasonOf({ ...good, [key]: value }, '11'), `${key} = ${JSON.stringify(value)}`);
  t.truthy(reasonOf([good], '11'));
  t.truthy(reasonOf(null, '11'));
  t.truthy(reasonOf('x', '11'));
});

test('room_id may be absent only from a v12 create event', (t) => {
  const create = vectors.find((v) => v.name === 'derived/v12-create-event-room-id')!.event;
  t.false('room_id' in create);
  t.is(reasonOf(create, '12'), undefined);
  t.truthy(reasonOf({ ...create, room_id: 5 }, '12'));
  t.truthy(reasonOf(create, '11'), 'v11 create events need a room_id');
  t.truthy(reasonOf({ ...without('room_id'), type: 'm.room.member', state_key: '@a:example.org' }, '12'));
  t.truthy(reasonOf({ ...good, room_id: '!r:example.org' }, '12'), 'v12 room IDs are hashes');
});

test('sender user IDs may use the historical grammar', (t) => {
  t.is(reasonOf({ ...good, sender: '@Alice Smith:example.org' }, '11'), undefined);
});

function withSize(target: number): JsonObject {
  const base = { ...good, content: { body: '' } };
  const size = Buffer.byteLength(canonicalJson(base));
  return { ...base, content: { body: 'x'.repeat(target - size) } };
}

test(`events up to ${MAX_PDU_BYTES} bytes of canonical JSON pass, one more byte fails`, (t) => {
  const max = withSize(MAX_PDU_BYTES);
  t.is(Buffer.byteLength(canonicalJson(max)), 65536);
  t.is(reasonOf(max, '11'), undefined);
  const over = withSize(MAX_PDU_BYTES + 1);
  t.regex(reasonOf(over, '11') ?? '', /65537 bytes/);
});

test('the size counts UTF-8 bytes, signatures and unsigned included', (t) => {
  const max = withSize(MAX_PDU_BYTES);
  const body = (max['content'] as { body: string }).body;
  // Two 1-byte characters replaced by one 2-byte character: same bytes, fewer characters.
  t.is(reasonOf({ ...max, content: { body: body.slice(2) + 'é' } }, '11'), undefined);
  t.truthy(reasonOf({ ...max, content: { body: body.slice(1) + 'é' } }, '11'));
  t.truthy(reasonOf({ ...max, unsigned: { age: 12 } }, '11'));
  t.truthy(reasonOf({ ...max, signatures: { 'example.org': { 'ed25519:1': 'sig', 'ed25519:2': 'x' } } }, '11'));
});

test('type and state_key are limited to 255 bytes, not characters', (t) => {
  t.is(reasonOf({ ...good, type: 'a'.repeat(255) }, '11'), undefined);
  t.truthy(reasonOf({ ...good, type: 'a'.repeat(256) }, '11'));
  t.truthy(reasonOf({ ...good, type: 'é'.repeat(128) }, '11'));
  t.is(reasonOf({ ...good, state_key: 'é'.repeat(127) + 'a' }, '11'), undefined);
  t.truthy(reasonOf({ ...good, state_key: 'é'.repeat(128) }, '11'));
  t.is(reasonOf({ ...good, state_key: '' }, '11'), undefined);
});

test('sender and room_id are limited to 255 bytes', (t) => {
  const server = ':example.org';
  t.is(reasonOf({ ...good, sender: '@' + 'a'.repeat(254 - server.length) + server }, '11'), undefined);
  t.truthy(reasonOf({ ...good, sender: '@' + 'a'.repeat(255 - server.length) + server }, '11'));
  t.is(reasonOf({ ...good, room_id: '!' + 'a'.repeat(254 - server.length) + server }, '11'), undefined);
  t.truthy(reasonOf({ ...good, room_id: '!' + 'a'.repeat(255 - server.length) + server }, '11'));
});

test('at most 20 prev_events and 10 auth_events', (t) => {
  t.is(reasonOf({ ...good, prev_events: Array(20).fill(HASH_A) }, '11'), undefined);
  t.regex(reasonOf({ ...good, prev_events: Array(21).fill(HASH_A) }, '11') ?? '', /prev_events has 21/);
  t.is(reasonOf({ ...good, auth_events: Array(10).fill(HASH_B) }, '11'), undefined);
  t.regex(reasonOf({ ...good, auth_events: Array(11).fill(HASH_B) }, '11') ?? '', /auth_events has 11/);
});

test('event references must have the format of the room version', (t) => {
  t.truthy(reasonOf({ ...good, prev_events: ['$abc:example.org'] }, '11'));
  t.truthy(reasonOf({ ...good, prev_events: ['$acR1l0raoZnm60CBwAVgqbZqoO/mYU81xysh1u7XcJk'] }, '11'), 'v3 format in a v11 room');
  t.is(reasonOf({ ...good, prev_events: ['$acR1l0raoZnm60CBwAVgqbZqoO/mYU81xysh1u7XcJk'], auth_events: [] }, '3'), undefined);
});

test('depth is an integer within 0…2^53−1', (t) => {
  t.is(reasonOf({ ...good, depth: 0 }, '11'), undefined);
  t.is(reasonOf({ ...good, depth: Number.MAX_SAFE_INTEGER }, '11'), undefined);
  t.truthy(reasonOf({ ...good, depth: -1 }, '11'));
  t.truthy(reasonOf({ ...good, depth: 2 ** 53 }, '11'));
  t.truthy(reasonOf({ ...good, depth: 1.5 }, '11'));
});

test('values without a canonical encoding are refused', (t) => {
  t.regex(reasonOf({ ...good, content: { n: 1.5 } }, '11') ?? '', /not canonical JSON/);
  t.truthy(reasonOf({ ...good, content: { n: 2 ** 60 } }, '11'));
  t.truthy(reasonOf({ ...good, origin_server_ts: 2 ** 60 }, '11'));
  t.truthy(reasonOf({ ...good, content: { s: '\ud800' } }, '11'));
  t.is(reasonOf({ ...good, content: { n: -0 } }, '11'), undefined, '-0 is encoded as 0');
});

test('room versions 1 and 2: event_id required, references are (ID, hashes) pairs', (t) => {
  const v1 = vectors.find((v) => v.room_version === '1')!.event;
  t.is(reasonOf(v1, '1'), undefined);
  t.is(reasonOf(v1, '2'), undefined);
  const { event_id: _, ...noId } = v1;
  t.truthy(reasonOf(noId, '1'));
  t.truthy(reasonOf({ ...v1, prev_events: ['$FqI6TVvWpcbcnJ97:localhost'] }, '1'));
  t.truthy(reasonOf({ ...v1, prev_events: [['$FqI6TVvWpcbcnJ97:localhost']] }, '1'));
  t.truthy(reasonOf(v1, '3'), 'pairs are not references in v3');
});

test('top-level redacts is an event ID up to v10 and not checked from v11', (t) => {
  const redaction = { ...good, type: 'm.room.redaction', content: {} };
  t.is(reasonOf({ ...redaction, redacts: HASH_A }, '10'), undefined);
  t.truthy(reasonOf({ ...redaction, redacts: 5 }, '10'));
  t.is(reasonOf({ ...redaction, redacts: 5, content: { redacts: HASH_A } }, '11'), undefined);
});

test('the input is returned as is, not copied or changed', (t) => {
  const copy = structuredClone(good);
  const r = checkPduFormat(copy, rv('11'));
  t.true(r.ok);
  if (r.ok) t.is(r.pdu as unknown, copy);
  t.deepEqual(copy, good);
});

test('a well-formed event comes with its encodings; field checks come before the encoding', (t) => {
  const r = checkPduFormat(good, rv('11'));
  t.true(r.ok);
  if (r.ok) {
    t.is(r.encodings.json, canonicalJson(good));
    t.is(r.encodings.eventId, computeEventId(good, rv('11')));
  }
  t.is(reasonOf({ ...good, type: 5, content: { n: 1.5 } }, '11'), 'type must be a string');
  t.deepEqual(checkPduFields({ ...good, content: { n: 1.5 } }, rv('11')), { ok: true, pdu: { ...good, content: { n: 1.5 } } as unknown as PDU });
  t.like(checkPduEncoding({ ...good, content: { n: 1.5 } } as unknown as PDU, rv('11')), { ok: false, reason: 'not canonical JSON: floats are not allowed: 1.5' });
});
