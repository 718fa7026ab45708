import test from 'ava';
import { Buffer } from 'node:buffer';
import { decodeBase64, encodeBase64 } from '../../src/core/base64.js';
import { generateSigningKey, publicKeyFromSeed, signBytes, signJson, verifyBytes, verifyJson } from '../../src/core/signing.js';
import { loadVector } from '../helpers/vectors.js';

interface AppendixVectors {
  signing: {
    signing_key_seed: string;
    public_key: string;
    server_name: string;
    key_id: string;
    json_signing: { cases: { input: Record<string, unknown>; expected_signature: string; expected_signed: Record<string, unknown> }[] };
  };
}

const { signing } = loadVector<AppendixVectors>('spec-appendix.json');
const seed = decodeBase64(signing.signing_key_seed);
const NAME = signing.server_name;
const KEY_ID = signing.key_id;

test('spec appendix key: the public key derived from the seed', (t) => {
  t.is(seed.length, 32);
  t.is(publicKeyFromSeed(seed), signing.public_key);
});

signing.json_signing.cases.forEach((c, i) => {
  test(`spec appendix JSON signing #${i + 1}: ${JSON.stringify(c.input)}`, (t) => {
    const signed = signJson(c.input, NAME, KEY_ID, seed);
    t.deepEqual(signed, c.expected_signed);
    t.true(verifyJson(signed, NAME, KEY_ID, signing.public_key));
    t.true(verifyJson(c.expected_signed, NAME, KEY_ID, signing.public_key));
    t.deepEqual(Object.keys(c.input).sort(), Object.keys(c.expected_signed).filter((k) => k !== 'signatures').sort(), 'input not mutated');
  });
});

test('signBytes/verifyBytes round trip with a generated key', (t) => {
  const key = generateSigningKey();
  t.is(key.seed.length, 32);
  t.is(decodeBase64(key.publicKey).length, 32);
  t.is(publicKeyFromSeed(key.seed), key.publicKey);
  const sig = signBytes(key.seed, 'hello');
  t.is(decodeBase64(sig).length, 64);
  t.false(sig.endsWith('='));
  t.true(verifyBytes(key.publicKey, Buffer.from('hello'), sig));
  t.false(verifyBytes(key.publicKey, 'hellp', sig));
  t.false(verifyBytes(signing.public_key, 'hello', sig), 'another key');
});

test('Ed25519 is deterministic: the same seed and data give the same signature', (t) => {
  t.is(signBytes(seed, '{}'), signing.json_signing.cases[0]!.expected_signature);
});

test('malformed keys and signatures verify false without throwing', (t) => {
  const sig = signBytes(seed, 'x');
  const bad: [string, string][] = [
    ['not base64!', sig],
    ['', sig],
    [encodeBase64(Buffer.alloc(31)), sig],
    [encodeBase64(Buffer.alloc(33)), sig],
    [signing.public_key, 'not base64!'],
    [signing.public_key, ''],
    [signing.public_key, sig.slice(0, -2)],
    [signing.public_key, encodeBase64(Buffer.alloc(64))],
    [signing.public_key, encodeBase64(Buffer.alloc(65))],
  ];
  for (const [key, s] of bad) t.false(verifyBytes(key, 'x', s), `${key} / ${s}`);
  t.false(verifyBytes(undefined as unknown as string, 'x', sig));
  t.false(verifyBytes(signing.public_key, 'x', null as unknown as string));
  t.true(verifyBytes(signing.public_key, 'x', sig));
});

test('tampering with any signed field breaks the signature; unsigned is not covered', (t) => {
  const signed = signJson({ a: 1, b: { c: 'd' }, unsigned: { age: 1 } }, NAME, KEY_ID, seed);
  t.true(verifyJson(signed, NAME, KEY_ID, signing.public_key));
  t.false(verifyJson({ ...signed, a: 2 }, NAME, KEY_ID, signing.public_key));
  t.false(verifyJson({ ...signed, b: { c: 'e' } }, NAME, KEY_ID, signing.public_key));
  t.false(verifyJson({ ...signed, extra: true }, NAME, KEY_ID, signing.public_key));
  t.true(verifyJson({ ...signed, unsigned: { age: 99 } }, NAME, KEY_ID, signing.public_key));
  const sig = (signed.signatures as Record<string, Record<string, string>>)[NAME]![KEY_ID]!;
  const flipped = encodeBase64(Buffer.from(decodeBase64(sig).map((b, i) => (i === 10 ? b ^ 1 : b))));
  t.false(verifyJson({ ...signed, signatures: { [NAME]: { [KEY_ID]: flipped } } }, NAME, KEY_ID, signing.public_key));
});

test('wrong server names, key IDs and algorithms fail verification', (t) => {
  const signed = signJson({ a: 1 }, NAME, KEY_ID, seed);
  t.false(verifyJson(signed, 'other', KEY_ID, signing.public_key));
  t.false(verifyJson(signed, NAME, 'ed25519:2', signing.public_key));
  t.false(verifyJson(signed, NAME, 'curve25519:1', signing.public_key));
  t.false(verifyJson({ a: 1 }, NAME, KEY_ID, signing.public_key), 'no signatures');
  t.false(verifyJson({ a: 1, signatures: 'x' }, NAME, KEY_ID, signing.public_key));
  t.false(verifyJson({ a: 1, signatures: { [NAME]: { [KEY_ID]: 5 } } }, NAME, KEY_ID, signing.public_key));
  t.false(verifyJson(signed, 'constructor', 'ed25519:1', signing.public_key), 'inherited names do not count');
  const wrongAlgo = { ...signed, signatures: { [NAME]: { 'curve25519:1': (signed.signatures as Record<string, Record<string, string>>)[NAME]![KEY_ID]! } } };
  t.false(verifyJson(wrongAlgo, NAME, 'curve25519:1', signing.public_key));
});

test('signing keeps existing signatures and unsigned, and does not mutate the input', (t) => {
  const input = { a: 1, unsigned: { age: 5 }, signatures: { other: { 'ed25519:x': 'abc' }, [NAME]: { 'ed25519:0': 'old' } } };
  const before = JSON.stringify(input);
  const signed = signJson(input, NAME, KEY_ID, seed);
  t.is(JSON.stringify(input), before);
  t.deepEqual(signed.unsigned, { age: 5 });
  t.is(signed.signatures.other['ed25519:x'], 'abc');
  t.is(signed.signatures[NAME]!['ed25519:0'], 'old');
  // The signature covers only { a: 1 }.
  t.is(signed.signatures[NAME]![KEY_ID], signJson({ a: 1 }, NAME, KEY_ID, seed).signatures[NAME]![KEY_ID]);
  t.true(verifyJson(signed, NAME, KEY_ID, signing.public_key));
});

test('signJson refuses key IDs that are not ed25519:[a-zA-Z0-9_]+', (t) => {
  for (const id of ['1', 'ed25519:', 'ed25519:a-b', 'curve25519:1', 'ed25519:a:b']) {
    t.throws(() => signJson({}, NAME, id, seed), { instanceOf: TypeError }, id);
  }
  t.notThrows(() => signJson({}, NAME, 'ed25519:a_B9', seed));
});

test('a __proto__ signing name stays an ordinary key', (t) => {
  const signed = signJson({ a: 1 }, '__proto__', KEY_ID, seed);
  t.is(Object.getPrototypeOf(signed.signatures), Object.prototype);
  t.true(Object.hasOwn(signed.signatures, '__proto__'));
  t.true(verifyJson(signed, '__proto__', KEY_ID, signing.public_key));
});

test('more keys than the cache holds still verify correctly', (t) => {
  const keys = Array.from({ length: 2100 }, () => generateSigningKey());
  const first = keys[0]!;
  const sigs = keys.map((k) => signBytes(k.seed, 'm'));
  for (let i = 0; i < keys.length; i++) {
    if (!verifyBytes(keys[i]!.publicKey, 'm', sigs[i]!)) t.fail(`key ${i}`);
  }
  // The first keys were evicted and must be rebuilt correctly.
  t.true(verifyBytes(first.publicKey, 'm', sigs[0]!));
  t.false(verifyBytes(first.publicKey, 'm', sigs[1]!));
  t.is(signBytes(first.seed, 'm'), sigs[0]!);
});
