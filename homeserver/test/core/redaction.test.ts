import test from 'ava';
import { canonicalJson } from '../../src/core/canonical-json.js';
import type { JsonObject } from '../../src/core/json.js';
import { redact, redactShallow } from '../../src/core/redaction.js';
import { roomVersion, type RoomVersion } from '../../src/core/room-versions.js';
import { loadVector } from '../helpers/vectors.js';

interface RedactionCase {
  name: string;
  input: JsonObject;
  expected: JsonObject;
  expected_canonical: string;
  applies_to_room_versions: string[];
}

const { cases } = loadVector<{ cases: RedactionCase[] }>('redaction.json');

function rv(id: string): RoomVersion {
  const v = roomVersion(id);
  if (v === undefined) throw new Error(`unknown room version ${id}`);
  return v;
}

for (const c of cases) {
  for (const version of c.applies_to_room_versions) {
    test(`redaction vector ${c.name} in room version ${version}`, (t) => {
      const before = canonicalJson(c.input);
      const out = redact(c.input, rv(version));
      t.is(canonicalJson(out), c.expected_canonical);
      t.deepEqual(out, c.expected);
      t.is(canonicalJson(c.input), before, 'input not mutated');
      t.is(canonicalJson(redact(out, rv(version))), c.expected_canonical, 'redaction is idempotent');
    });
  }
}

const ALL_VERSIONS = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12'];

function contentAfter(type: string, content: JsonObject, version: string): JsonObject {
  return redact({ type, content, sender: '@a:x', room_id: '!r:x' }, rv(version))['content'] as JsonObject;
}

test('rule sets: which room versions keep m.room.aliases content', (t) => {
  const kept = ALL_VERSIONS.filter((v) => 'aliases' in contentAfter('m.room.aliases', { aliases: ['#a:x'] }, v));
  t.deepEqual(kept, ['1', '2', '3', '4', '5']);
});

test('rule sets: which room versions keep join_rules allow', (t) => {
  const kept = ALL_VERSIONS.filter((v) => 'allow' in contentAfter('m.room.join_rules', { join_rule: 'restricted', allow: [] }, v));
  t.deepEqual(kept, ['8', '9', '10', '11', '12']);
});

test('rule sets: which room versions keep join_authorised_via_users_server', (t) => {
  const content = { membership: 'join', join_authorised_via_users_server: '@b:x' };
  const kept = ALL_VERSIONS.filter((v) => 'join_authorised_via_users_server' in contentAfter('m.room.member', content, v));
  t.deepEqual(kept, ['9', '10', '11', '12']);
});

test('rule sets: top-level origin, membership and prev_state go from v11 on', (t) => {
  const event = { type: 'm.room.message', content: { body: 'x' }, origin: 'x', membership: 'join', prev_state: [], redacts: '$e', sender: '@a:x' };
  t.deepEqual(redact(event, rv('10')), { type: 'm.room.message', content: {}, origin: 'x', membership: 'join', prev_state: [], sender: '@a:x' });
  t.deepEqual(redact(event, rv('11')), { type: 'm.room.message', content: {}, sender: '@a:x' });
  t.deepEqual(redact(event, rv('12')), { type: 'm.room.message', content: {}, sender: '@a:x' });
});

test('v11 keeps only signed of third_party_invite, and an empty object without it', (t) => {
  const signed = { mxid: '@a:x', token: 't', signatures: {} };
  t.deepEqual(contentAfter('m.room.member', { membership: 'invite', third_party_invite: { display_name: 'd', signed } }, '11'), {
    membership: 'invite',
    third_party_invite: { signed },
  });
  t.deepEqual(contentAfter('m.room.member', { membership: 'invite', third_party_invite: { display_name: 'd' } }, '11'), {
    membership: 'invite',
    third_party_invite: {},
  });
  t.deepEqual(contentAfter('m.room.member', { membership: 'invite', third_party_invite: 'nonsense' }, '11'), { membership: 'invite' });
  t.deepEqual(contentAfter('m.room.member', { membership: 'invite', third_party_invite: { signed } }, '10'), { membership: 'invite' });
});

test('content is {} when missing or not an object, and for unknown types', (t) => {
  t.deepEqual(redact({ type: 'm.room.member', sender: '@a:x' }, rv('11')), { type: 'm.room.member', sender: '@a:x', content: {} });
  t.deepEqual(redact({ type: 'm.room.member', content: [1] as unknown as JsonObject }, rv('11')), { type: 'm.room.member', content: {} });
  t.deepEqual(contentAfter('org.example.custom', { membership: 'join' }, '11'), {});
  t.deepEqual(contentAfter('constructor', { membership: 'join' }, '11'), {}, 'inherited names are not rules');
});

test('redact shares nothing with its input; redactShallow does not copy nested values', (t) => {
  const users = { '@a:x': 100 };
  const event = { type: 'm.room.power_levels', content: { users, ban: 50, other: 1 }, hashes: { sha256: 'h' }, unsigned: { age: 1 } };
  const out = redact(event, rv('11'));
  t.deepEqual(out, { type: 'm.room.power_levels', content: { users: { '@a:x': 100 }, ban: 50 }, hashes: { sha256: 'h' } });
  (out['content'] as { users: Record<string, number> }).users['@b:x'] = 1;
  (out['hashes'] as Record<string, string>)['sha256'] = 'changed';
  t.deepEqual(users, { '@a:x': 100 });
  t.deepEqual(event.hashes, { sha256: 'h' });
  t.deepEqual(Object.keys(event.content), ['users', 'ban', 'other']);
  const shallow = redactShallow(event, rv('11'));
  t.is((shallow['content'] as { users: unknown }).users, users);
});

test('a __proto__ key inside kept content survives as a plain key', (t) => {
  const event = JSON.parse('{"type":"m.room.create","content":{"__proto__":{"x":1},"room_version":"11"}}') as JsonObject;
  const out = redact(event, rv('11'));
  t.is(canonicalJson(out), '{"content":{"__proto__":{"x":1},"room_version":"11"},"type":"m.room.create"}');
  t.is(Object.getPrototypeOf(out['content']), Object.prototype);
});
