import test from 'ava';
import { createHash } from 'node:crypto';
import { encodeBase64 } from '../../src/core/base64.js';
import { checkContentHash, computeContentHash, computeReferenceHash } from '../../src/core/hashes.js';
import type { JsonObject } from '../../src/core/json.js';
import { roomVersion, type RoomVersion } from '../../src/core/room-versions.js';
import { loadVector } from '../helpers/vectors.js';

interface EventIdVector {
  name: string;
  room_version: string;
  event: JsonObject;
  expected_event_id: string;
  expected_content_hash?: string;
}

interface AppendixVectors {
  signing: { event_signing: { cases: { input: JsonObject; expected_content_hash: string; expected_signed: JsonObject }[] } };
}

const eventIds = loadVector<{ vectors: EventIdVector[] }>('event-ids.json').vectors;
const appendix = loadVector<AppendixVectors>('spec-appendix.json');

function rv(id: string): RoomVersion {
  const v = roomVersion(id);
  if (v === undefined) throw new Error(`unknown room version ${id}`);
  return v;
}

for (const v of eventIds) {
  if (v.expected_content_hash === undefined) continue;
  const expected = v.expected_content_hash;
  test(`content hash of event-ids vector ${v.name}`, (t) => {
    t.is(computeContentHash(v.event), expected);
    t.true(checkContentHash(v.event));
  });
}

appendix.signing.event_signing.cases.forEach((c, i) => {
  test(`content hash of spec appendix event signing #${i + 1}`, (t) => {
    t.is(computeContentHash(c.input), c.expected_content_hash);
    t.true(checkContentHash(c.expected_signed));
  });
});

test('the content hash ignores unsigned, signatures and hashes', (t) => {
  const event = { type: 'X', content: { a: 1 } };
  const h = computeContentHash(event);
  t.is(h, encodeBase64(createHash('sha256').update('{"content":{"a":1},"type":"X"}').digest()));
  t.is(computeContentHash({ ...event, unsigned: { age: 1 }, signatures: { x: {} }, hashes: { sha256: 'zzz' } }), h);
});

test('a tampered event fails the content hash check', (t) => {
  const good = appendix.signing.event_signing.cases[1]!.expected_signed;
  t.true(checkContentHash(good));
  t.false(checkContentHash({ ...good, content: { body: 'Here is the message content!' } }));
  t.false(checkContentHash({ ...good, origin_server_ts: 1000001 }));
  t.false(checkContentHash({ ...good, extra: 1 }));
  t.true(checkContentHash({ ...good, unsigned: { age: 99 } }), 'unsigned is not covered');
});

test('missing or malformed hashes fail the check without throwing', (t) => {
  const good = appendix.signing.event_signing.cases[1]!.expected_signed;
  const { hashes: _, ...noHashes } = good;
  t.false(checkContentHash(noHashes));
  t.false(checkContentHash({ ...good, hashes: null }));
  t.false(checkContentHash({ ...good, hashes: {} }));
  t.false(checkContentHash({ ...good, hashes: { sha256: 5 } }));
  t.false(checkContentHash({ ...good, hashes: { sha256: 'not base64!' } }));
  t.false(checkContentHash({ ...good, hashes: { sha256: 'onLKD1bGljeBWQhWZ1kaP9SorVmRQNdN5aM2JYU2n' } }), 'truncated');
  t.false(checkContentHash({ ...good, content: { n: 1.5 } }), 'no canonical form');
});

test('the padded and URL-safe spellings of a correct hash are accepted', (t) => {
  const good = appendix.signing.event_signing.cases[1]!.expected_signed;
  const hash = (good['hashes'] as { sha256: string }).sha256;
  t.true(checkContentHash({ ...good, hashes: { sha256: hash + '=' } }));
  t.true(checkContentHash({ ...good, hashes: { sha256: hash.replace(/\//g, '_').replace(/\+/g, '-') } }));
});

test('the reference hash covers what survives redaction and nothing else', (t) => {
  const event = appendix.signing.event_signing.cases[0]!.expected_signed;
  const v10 = rv('10');
  const ref = computeReferenceHash(event, v10);
  t.is(ref.length, 32);
  t.is(encodeBase64(ref), '8yif6p8EqgoSten2BLje9ntKm720NyFLWQv9tn8memc');
  t.deepEqual(computeReferenceHash({ ...event, signatures: {}, unsigned: { age: 5 } }, v10), ref);
  t.deepEqual(computeReferenceHash({ ...event, content: { body: 'redacted away' } }, v10), ref);
  t.notDeepEqual(computeReferenceHash({ ...event, depth: 4 }, v10), ref);
  t.notDeepEqual(computeReferenceHash(event, rv('11')), ref, 'v11 drops top-level origin');
});

test('computing hashes does not mutate the event', (t) => {
  const event = structuredClone(appendix.signing.event_signing.cases[0]!.expected_signed);
  const before = JSON.stringify(event);
  computeContentHash(event);
  checkContentHash(event);
  computeReferenceHash(event, rv('12'));
  t.is(JSON.stringify(event), before);
});
