import test from 'ava';
import { Buffer } from 'node:buffer';
import {
  isValidEventId,
  isValidLocalpart,
  isValidRoomId,
  isValidServerName,
  parseRoomAlias,
  parseServerName,
  parseUserId,
} from '../../src/core/ids.js';
import { roomVersion, type RoomVersion } from '../../src/core/room-versions.js';

function rv(id: string): RoomVersion {
  const v = roomVersion(id);
  if (v === undefined) throw new Error(`unknown room version ${id}`);
  return v;
}

test('server names: the appendix examples', (t) => {
  t.deepEqual(parseServerName('matrix.org'), { host: 'matrix.org', kind: 'dns' });
  t.deepEqual(parseServerName('matrix.org:8888'), { host: 'matrix.org', port: 8888, kind: 'dns' });
  t.deepEqual(parseServerName('1.2.3.4'), { host: '1.2.3.4', kind: 'ipv4' });
  t.deepEqual(parseServerName('1.2.3.4:1234'), { host: '1.2.3.4', port: 1234, kind: 'ipv4' });
  t.deepEqual(parseServerName('[1234:5678::abcd]'), { host: '1234:5678::abcd', kind: 'ipv6' });
  t.deepEqual(parseServerName('[1234:5678::abcd]:5678'), { host: '1234:5678::abcd', port: 5678, kind: 'ipv6' });
});

test('server names: more valid forms', (t) => {
  for (const s of [
    'localhost',
    'MATRIX.ORG',
    'a-b.c',
    'x:0',
    'x:99999',
    '255.255.255.255',
    '[::]',
    '[::1]:8448',
    '[1:2:3:4:5:6:7:8]',
    '[::ffff:1.2.3.4]',
    '[1:2:3:4:5:6:1.2.3.4]',
    '[fe80::]',
    'a'.repeat(255),
  ]) {
    t.true(isValidServerName(s), s);
  }
  t.is(parseServerName('MATRIX.ORG')?.host, 'MATRIX.ORG', 'case is kept');
});

test('server names: invalid forms', (t) => {
  for (const s of [
    '',
    ':8448',
    'matrix.org:',
    'matrix.org:123456',
    'matrix.org:-1',
    'matrix.org:80a',
    'matrix.org:80:80',
    'mat rix.org',
    'matrix_org',
    'mätrix.org',
    '1.2.3.256',
    '1.2.3.4:',
    '[1234:5678::abcd',
    '1234:5678::abcd',
    '[1234:5678::abcd]x',
    '[1:2:3:4:5:6:7:8:9]',
    '[1::2::3]',
    '[12345::]',
    '[:1]',
    '[1:2:3:4:5:6:7]',
    '[::1.2.3.256]',
    '[g::]',
    '[]',
    'a'.repeat(256),
  ]) {
    t.false(isValidServerName(s), s);
  }
});

test('localparts: strict grammar for new IDs', (t) => {
  t.true(isValidLocalpart('alice'));
  t.true(isValidLocalpart('a.b_c=d-e/f+g0'));
  for (const s of ['', 'Alice', 'al ice', 'al:ice', 'ali#ce', 'élise', '@alice']) {
    t.false(isValidLocalpart(s), s);
    t.false(isValidLocalpart(s, { historical: false }), s);
  }
});

test('localparts: historical grammar accepts what must still be received', (t) => {
  for (const s of ['', 'Alice', 'al ice', 'ali#ce', 'élise', '\u0007', '😀']) t.true(isValidLocalpart(s, { historical: true }), s);
  for (const s of ['a:b', 'a\u0000b', 'a\ud800']) t.false(isValidLocalpart(s, { historical: true }), s);
});

test('user IDs: parsing', (t) => {
  t.deepEqual(parseUserId('@alice:example.org'), { localpart: 'alice', serverName: 'example.org' });
  t.deepEqual(parseUserId('@alice:[::1]:8448'), { localpart: 'alice', serverName: '[::1]:8448' });
  t.deepEqual(parseUserId('@Alice:example.org'), { localpart: 'Alice', serverName: 'example.org' }, 'historical by default');
  t.is(parseUserId('@Alice:example.org', { historical: false }), null);
  t.deepEqual(parseUserId('@:example.org'), { localpart: '', serverName: 'example.org' });
  for (const s of ['alice:example.org', '@alice', '@alice:', '@alice:bad_host', '#alice:example.org', '@a\u0000:x']) {
    t.is(parseUserId(s), null, s);
  }
});

test('user IDs: at most 255 bytes, counted in UTF-8', (t) => {
  const server = ':example.org';
  const fits = '@' + 'a'.repeat(255 - 1 - server.length) + server;
  t.is(Buffer.byteLength(fits), 255);
  t.not(parseUserId(fits), null);
  t.is(parseUserId('@' + 'a'.repeat(255 - server.length) + server), null);
  // 'é' is 2 bytes: 122 of them make 244 bytes, plus 12 for the server name and 1 for @ = 257.
  t.is(parseUserId('@' + 'é'.repeat(122) + server), null);
  t.not(parseUserId('@' + 'é'.repeat(121) + server), null);
});

test('room aliases', (t) => {
  t.deepEqual(parseRoomAlias('#room:example.org'), { localpart: 'room', serverName: 'example.org' });
  t.deepEqual(parseRoomAlias('#Räume und so:example.org:8448'), { localpart: 'Räume und so', serverName: 'example.org:8448' });
  for (const s of ['room:example.org', '#room', '#room:', '#ro\u0000om:x', '!room:example.org', '#room:bad host']) {
    t.is(parseRoomAlias(s), null, s);
  }
  t.is(parseRoomAlias('#' + 'a'.repeat(255) + ':x'), null);
});

const HASH43 = 'Nhcu5BS-UMnFX7hBVfVSoXiD7OgH6iRT-xyIuqDnpYQ';

test('room IDs: with a domain before v12, a hash from v12', (t) => {
  t.true(isValidRoomId('!abc:example.org'));
  t.true(isValidRoomId('!' + HASH43));
  t.true(isValidRoomId('!abc:example.org', rv('11')));
  t.false(isValidRoomId('!' + HASH43, rv('11')));
  t.true(isValidRoomId('!' + HASH43, rv('12')));
  t.false(isValidRoomId('!abc:example.org', rv('12')));
  t.false(isValidRoomId('!' + HASH43.slice(1), rv('12')));
  t.false(isValidRoomId('!' + HASH43.replace('-', '+'), rv('12')));
  for (const s of ['', '!', 'abc:example.org', '$abc:example.org', '!abc', '!abc:bad host', '!a\u0000:x', '!' + 'a'.repeat(250) + ':x.org']) {
    t.false(isValidRoomId(s), s);
  }
});

test('event IDs: per room version format', (t) => {
  const std = 'acR1l0raoZnm60CBwAVgqbZqoO/mYU81xysh1u7XcJk';
  t.true(isValidEventId('$abc:example.org', rv('1')));
  t.false(isValidEventId('$' + std, rv('1')));
  t.true(isValidEventId('$' + std, rv('3')));
  t.false(isValidEventId('$' + std, rv('4')));
  t.true(isValidEventId('$' + HASH43, rv('4')));
  t.false(isValidEventId('$' + HASH43, rv('3')));
  t.true(isValidEventId('$' + HASH43, rv('12')));
  t.false(isValidEventId('$abc:example.org', rv('10')));
  t.true(isValidEventId('$abc:example.org'));
  t.true(isValidEventId('$' + std));
  t.true(isValidEventId('$' + HASH43));
  for (const s of ['', '$', 'abc:example.org', '!' + HASH43, '$abc', '$' + HASH43 + 'A', '$a\ud800:x']) t.false(isValidEventId(s), s);
});
