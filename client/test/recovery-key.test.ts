import test from 'ava';
import { base64ToBytes, bytesToBase64, decodeRecoveryKey, encodeRecoveryKey } from '../src/matrix/crypto/recovery-key';

const key = Uint8Array.from({ length: 32 }, (_, i) => (i * 37 + 11) & 0xff);

test('a recovery key round-trips, in groups of four starting with Es', (t) => {
  const text = encodeRecoveryKey(key);
  t.regex(text, /^Es[\w]{2}( [\w]{4})+( [\w]{1,4})?$/);
  t.deepEqual(decodeRecoveryKey(text), key);
  t.deepEqual(decodeRecoveryKey(text.replace(/ /g, '')), key, 'spaces do not matter');
});

test('keys with leading zero bytes survive', (t) => {
  const zeros = new Uint8Array(32);
  zeros[31] = 1;
  t.deepEqual(decodeRecoveryKey(encodeRecoveryKey(zeros)), zeros);
});

test('typos and other strings are refused', (t) => {
  const text = encodeRecoveryKey(key);
  const last = text.at(-1)!;
  const typo = text.slice(0, -1) + (last === 'a' ? 'b' : 'a');
  t.throws(() => decodeRecoveryKey(typo), { message: /typo|not a recovery key/ });
  t.throws(() => decodeRecoveryKey('hello world'), { message: /cannot appear|not a recovery key/ });
  t.throws(() => decodeRecoveryKey('EsTc'), { message: /not a recovery key/ });
});

test('base64 helpers are unpadded and inverse', (t) => {
  t.is(bytesToBase64(Uint8Array.from([1, 2, 3, 4])), 'AQIDBA');
  t.deepEqual(base64ToBytes('AQIDBA'), Uint8Array.from([1, 2, 3, 4]));
});
