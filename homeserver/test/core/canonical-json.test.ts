import test from 'ava';
import { canonicalJson, canonicalJsonBytes, CanonicalJsonError, canonicalJsonMembers, compareCodePoints, MAX_NESTING_DEPTH } from '../../src/core/canonical-json.js';
import { loadVector } from '../helpers/vectors.js';

interface AppendixVectors {
  canonical_json: { cases: { input: string; expected: string }[] };
}

const vectors = loadVector<AppendixVectors>('spec-appendix.json');

vectors.canonical_json.cases.forEach((c, i) => {
  test(`spec appendix canonical JSON #${i + 1}: ${c.expected}`, (t) => {
    t.is(canonicalJson(JSON.parse(c.input)), c.expected);
  });
});

test('keys are sorted by code point: astral characters after U+E000–U+FFFF', (t) => {
  // UTF-16 order would put U+1F600 (D83D DE00) before U+FF21 (FF21); code point order is the reverse.
  const value = { '\u{1F600}': 1, '\uFF21': 2, a: 3, '\uE000': 4, '\u00E9': 5 };
  t.is(canonicalJson(value), '{"a":3,"é":5,"\uE000":4,"Ａ":2,"😀":1}');
  t.true(compareCodePoints('\u{1F600}', '\uFFFF') > 0);
  t.true(compareCodePoints('\u{10000}', '\u{10001}') < 0);
  t.true(compareCodePoints('ab', 'a') > 0);
  t.is(compareCodePoints('x\u{1F600}', 'x\u{1F600}'), 0);
});

test('keys that differ only after an astral prefix sort by the rest', (t) => {
  t.is(canonicalJson({ '😀b': 1, '😀a': 2, '😀': 3 }), '{"😀":3,"😀a":2,"😀b":1}');
});

test('integer-like keys are sorted as strings, not numerically', (t) => {
  t.is(canonicalJson({ 10: 'a', 9: 'b', 1: 'c', b: 1 }), '{"1":"c","10":"a","9":"b","b":1}');
});

test('key order of the input does not matter', (t) => {
  const a = { z: { y: 1, x: [3, { q: 1, p: 2 }] }, a: null, m: true };
  const b = { m: true, a: null, z: { x: [3, { p: 2, q: 1 }], y: 1 } };
  t.is(canonicalJson(a), canonicalJson(b));
  t.is(canonicalJson(a), '{"a":null,"m":true,"z":{"x":[3,{"p":2,"q":1}],"y":1}}');
});

test('strings: only the escapes the grammar allows, UTF-8 otherwise', (t) => {
  const s = '"\\\b\t\n\f\r\u0000\u001f\u007f\u2028/é日😀';
  t.is(canonicalJson(s), '"\\"\\\\\\b\\t\\n\\f\\r\\u0000\\u001f\u007f\u2028/é日😀"');
  t.deepEqual([...canonicalJsonBytes('é😀')], [0x22, 0xc3, 0xa9, 0xf0, 0x9f, 0x98, 0x80, 0x22]);
});

test('lone surrogates are refused in values and keys', (t) => {
  t.throws(() => canonicalJson('a\ud800'), { instanceOf: CanonicalJsonError });
  t.throws(() => canonicalJson({ ['\udc00']: 1 }), { instanceOf: CanonicalJsonError });
});

test('integers at the edge of the range pass, -0 becomes 0', (t) => {
  t.is(canonicalJson([9007199254740991, -9007199254740991, -0, 0]), '[9007199254740991,-9007199254740991,0,0]');
});

test('floats, NaN, Infinity and integers out of range are refused', (t) => {
  for (const n of [1.5, -0.1, NaN, Infinity, -Infinity, 9007199254740992, -9007199254740992, 1e300]) {
    t.throws(() => canonicalJson({ n }), { instanceOf: CanonicalJsonError }, String(n));
  }
});

test('values JSON has no form for are refused, not dropped', (t) => {
  for (const v of [undefined, () => 1, 1n, Symbol('s')]) {
    t.throws(() => canonicalJson({ a: v }), { instanceOf: CanonicalJsonError });
    t.throws(() => canonicalJson([v]), { instanceOf: CanonicalJsonError });
  }
  t.throws(() => canonicalJson(new Date(0)), { instanceOf: CanonicalJsonError });
  t.throws(() => canonicalJson(new Map()), { instanceOf: CanonicalJsonError });
  t.is(canonicalJson(Object.assign(Object.create(null), { b: 1, a: 2 })), '{"a":2,"b":1}');
});

function nest(levels: number): unknown {
  let v: unknown = 0;
  for (let i = 0; i < levels; i++) v = i % 2 === 0 ? [v] : { k: v };
  return v;
}

test(`nesting up to ${MAX_NESTING_DEPTH} containers passes, one more is refused`, (t) => {
  t.is(MAX_NESTING_DEPTH, 128);
  t.notThrows(() => canonicalJson(nest(128)));
  t.throws(() => canonicalJson(nest(129)), { instanceOf: CanonicalJsonError, message: /nested deeper/ });
  // Deep enough to overflow the stack without the limit.
  t.throws(() => canonicalJson(nest(100_000)), { instanceOf: CanonicalJsonError });
});

test('cycles are refused rather than looping', (t) => {
  const a: Record<string, unknown> = { x: 1 };
  a['self'] = a;
  t.throws(() => canonicalJson(a), { instanceOf: CanonicalJsonError });
});

test('a __proto__ key from JSON.parse is encoded like any other key', (t) => {
  t.is(canonicalJson(JSON.parse('{"b":1,"__proto__":{"x":1}}')), '{"__proto__":{"x":1},"b":1}');
});

test('members: in canonical order, joined they are the canonical JSON, and they fail as it does', (t) => {
  const value = JSON.parse('{"b":[1,{"y":2,"x":1}],"__proto__":"p","\u{1F600}":1,"\uFFFF":2,"a":"é"}') as object;
  const { keys, members } = canonicalJsonMembers(value);
  t.deepEqual(keys, ['__proto__', 'a', 'b', '\uFFFF', '\u{1F600}']);
  t.is('{' + members.join(',') + '}', canonicalJson(value));
  const withoutB: Record<string, unknown> = { ...value };
  delete withoutB['b'];
  t.is('{' + members.filter((_, i) => keys[i] !== 'b').join(',') + '}', canonicalJson(withoutB), 'a subset is the object with only those keys');
  for (const bad of [{ a: 1, b: 1.5, c: 'x\ud800' }, { a: new Map() }, { deep: JSON.parse('['.repeat(MAX_NESTING_DEPTH) + ']'.repeat(MAX_NESTING_DEPTH)) as unknown }]) {
    const expected = t.throws(() => canonicalJson(bad), { instanceOf: CanonicalJsonError });
    t.throws(() => canonicalJsonMembers(bad), { instanceOf: CanonicalJsonError, message: expected?.message });
  }
  t.throws(() => canonicalJsonMembers([1]), { instanceOf: CanonicalJsonError });
  t.throws(() => canonicalJsonMembers(new Date()), { instanceOf: CanonicalJsonError });
});
