import test from 'ava';
import { Buffer } from 'node:buffer';
import { Base64Error, decodeBase64, encodeBase64, encodeBase64Url } from '../../src/core/base64.js';
import { loadVector } from '../helpers/vectors.js';

interface AppendixVectors {
  unpadded_base64: { cases: { input: string; output: string }[] };
}

const vectors = loadVector<AppendixVectors>('spec-appendix.json');

for (const c of vectors.unpadded_base64.cases) {
  test(`spec appendix unpadded base64: ${JSON.stringify(c.input)} -> ${JSON.stringify(c.output)}`, (t) => {
    t.is(encodeBase64(Buffer.from(c.input, 'utf8')), c.output);
    t.is(decodeBase64(c.output).toString('utf8'), c.input);
    // Padded input decodes to the same bytes.
    t.is(decodeBase64(c.output + '='.repeat((4 - (c.output.length % 4)) % 4)).toString('utf8'), c.input);
  });
}

const BYTES = Buffer.from([0xfb, 0xff, 0xbf, 0x00, 0x3e]);

test('URL-safe encoding uses - and _ and no padding', (t) => {
  t.is(encodeBase64(BYTES), '+/+/AD4');
  t.is(encodeBase64Url(BYTES), '-_-_AD4');
});

test('encoders accept any Uint8Array view, not only Buffers', (t) => {
  const backing = new Uint8Array([0, 0xfb, 0xff, 0xbf, 0x00, 0x3e, 0]);
  const view = backing.subarray(1, 6);
  t.is(encodeBase64(view), '+/+/AD4');
  t.is(encodeBase64Url(view), '-_-_AD4');
});

test('decoding accepts both alphabets, padded or not', (t) => {
  for (const s of ['+/+/AD4', '-_-_AD4', '+/+/AD4=', '-_-_AD4=']) {
    t.deepEqual(decodeBase64(s), BYTES, s);
  }
});

test('invalid characters are refused', (t) => {
  for (const s of ['Zm9v!', 'Zm 9v', 'Zm9v\n', 'Zg==Zg', 'Z=g', 'Zm9vYmFy===', '+/-_']) {
    t.throws(() => decodeBase64(s), { instanceOf: Base64Error }, JSON.stringify(s));
  }
});

test('impossible lengths and padding are refused', (t) => {
  for (const s of ['Z', 'Zm9vY', '=', 'Zg=', 'Zm9=v', 'Zm8==', 'Zm9v=', 'Zm9v==']) {
    t.throws(() => decodeBase64(s), { instanceOf: Base64Error }, JSON.stringify(s));
  }
});

test('non-zero trailing bits are tolerated, as other servers do', (t) => {
  t.deepEqual([...decodeBase64('Zh')], [0x66]);
});

test('the empty string is zero bytes', (t) => {
  t.is(decodeBase64('').length, 0);
});
