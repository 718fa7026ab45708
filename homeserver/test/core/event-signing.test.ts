import test from 'ava';
import { Buffer } from 'node:buffer';
import { decodeBase64 } from '../../src/core/base64.js';
import { signEvent, verifyEventSignature } from '../../src/core/event-signing.js';
import { checkContentHash, computeContentHash } from '../../src/core/hashes.js';
import type { JsonObject } from '../../src/core/json.js';
import { redact } from '../../src/core/redaction.js';
import { roomVersion, type RoomVersion } from '../../src/core/room-versions.js';
import { loadVector } from '../helpers/vectors.js';

interface AppendixVectors {
  signing: {
    signing_key_seed: string;
    public_key: string;
    server_name: string;
    key_id: string;
    event_signing: {
      room_versions: string[];
      cases: { input: JsonObject; expected_content_hash: string; expected_signature: string; expected_signed: JsonObject }[];
    };
  };
}

interface EventIdVector {
  name: string;
  room_version: string;
  event: JsonObject;
  signing?: { server_name: string; key_id: string; seed: string; public_key: string };
}

const { signing } = loadVector<AppendixVectors>('spec-appendix.json');
const eventIds = loadVector<{ vectors: EventIdVector[] }>('event-ids.json').vectors;
const seed = decodeBase64(signing.signing_key_seed);
const NAME = signing.server_name;
const KEY_ID = signing.key_id;
const PUBLIC_KEY = signing.public_key;

function rv(id: string): RoomVersion {
  const v = roomVersion(id);
  if (v === undefined) throw new Error(`unknown room version ${id}`);
  return v;
}

function signatureOf(event: JsonObject, name: string, keyId: string): string | undefined {
  return (event['signatures'] as Record<string, Record<string, string>> | undefined)?.[name]?.[keyId];
}

signing.event_signing.cases.forEach((c, i) => {
  for (const version of signing.event_signing.room_versions) {
    test(`spec appendix event signing #${i + 1} in room version ${version}`, (t) => {
      const before = JSON.stringify(c.input);
      const signed = signEvent(c.input, rv(version), NAME, KEY_ID, seed);
      t.deepEqual(signed, c.expected_signed);
      t.is(signed.hashes.sha256, c.expected_content_hash);
      t.is(signatureOf(signed as JsonObject, NAME, KEY_ID), c.expected_signature);
      t.true(verifyEventSignature(c.expected_signed, rv(version), NAME, KEY_ID, PUBLIC_KEY));
      t.is(JSON.stringify(c.input), before, 'input not mutated');
    });
  }

  test(`spec appendix event signing #${i + 1} under the v11/v12 rules signs another redacted form`, (t) => {
    for (const version of ['11', '12']) {
      const signed = signEvent(c.input, rv(version), NAME, KEY_ID, seed);
      t.is(signed.hashes.sha256, c.expected_content_hash, 'the content hash does not depend on the room version');
      t.not(signatureOf(signed as JsonObject, NAME, KEY_ID), c.expected_signature);
      t.true(verifyEventSignature(signed, rv(version), NAME, KEY_ID, PUBLIC_KEY));
      t.false(verifyEventSignature(c.expected_signed, rv(version), NAME, KEY_ID, PUBLIC_KEY));
    }
  });
});

for (const v of eventIds) {
  if (v.signing === undefined) continue;
  const s = v.signing;
  test(`event-ids vector ${v.name}: its signature verifies and re-signing reproduces it`, (t) => {
    const version = rv(v.room_version);
    t.true(verifyEventSignature(v.event, version, s.server_name, s.key_id, s.public_key));
    const { signatures: _s, hashes: _h, ...unsignedEvent } = v.event;
    const resigned = signEvent(unsignedEvent, version, s.server_name, s.key_id, decodeBase64(s.seed));
    t.deepEqual(resigned.signatures, v.event['signatures']);
    t.deepEqual(resigned.hashes, v.event['hashes']);
  });
}

const v11 = rv('11');
const base: JsonObject = {
  room_id: '!r:example.org',
  sender: '@a:example.org',
  type: 'm.room.message',
  content: { body: 'hello' },
  origin_server_ts: 1,
  depth: 2,
  prev_events: [],
  auth_events: [],
  unsigned: { age: 3 },
};

test('a redacted copy still verifies; its content hash no longer matches', (t) => {
  const signed = signEvent(base, v11, NAME, KEY_ID, seed);
  t.true(checkContentHash(signed));
  const redacted = redact(signed, v11);
  t.true(verifyEventSignature(redacted, v11, NAME, KEY_ID, PUBLIC_KEY));
  t.false(checkContentHash(redacted));
});

test('changing a covered field breaks the signature; changing content breaks only the hash', (t) => {
  const signed = signEvent(base, v11, NAME, KEY_ID, seed);
  t.false(verifyEventSignature({ ...signed, depth: 3 }, v11, NAME, KEY_ID, PUBLIC_KEY));
  t.false(verifyEventSignature({ ...signed, sender: '@b:example.org' }, v11, NAME, KEY_ID, PUBLIC_KEY));
  t.false(verifyEventSignature({ ...signed, hashes: { sha256: computeContentHash({ ...base, content: { body: 'x' } }) } }, v11, NAME, KEY_ID, PUBLIC_KEY));
  const edited = { ...signed, content: { body: 'edited' } };
  t.true(verifyEventSignature(edited, v11, NAME, KEY_ID, PUBLIC_KEY));
  t.false(checkContentHash(edited));
});

test('wrong server name, key ID or public key fail verification', (t) => {
  const signed = signEvent(base, v11, NAME, KEY_ID, seed);
  t.false(verifyEventSignature(signed, v11, 'example.org', KEY_ID, PUBLIC_KEY));
  t.false(verifyEventSignature(signed, v11, NAME, 'ed25519:2', PUBLIC_KEY));
  t.false(verifyEventSignature(signed, v11, NAME, KEY_ID, 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'));
  t.false(verifyEventSignature(signed, v11, NAME, KEY_ID, 'garbage'));
  t.false(verifyEventSignature(base, v11, NAME, KEY_ID, PUBLIC_KEY), 'unsigned event');
});

test('signing again with another key keeps the first signature', (t) => {
  const once = signEvent(base, v11, NAME, KEY_ID, seed);
  const otherSeed = Buffer.alloc(32, 7);
  const twice = signEvent(once, v11, 'other.example', 'ed25519:k', otherSeed);
  t.is(signatureOf(twice as JsonObject, NAME, KEY_ID), signatureOf(once as JsonObject, NAME, KEY_ID));
  t.true(verifyEventSignature(twice, v11, NAME, KEY_ID, PUBLIC_KEY));
  t.deepEqual(twice.unsigned, { age: 3 });
});
