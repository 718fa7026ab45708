import test from 'ava';
import { PairKeys } from '../../src/util/pair-key.js';

test('a pair gives its NUL-joined key, the same string every time', (t) => {
  const keys = new PairKeys();
  const k = keys.key('!room:hs', '@user:hs');
  t.is(k, '!room:hs\u0000@user:hs');
  t.is(keys.key('!room:hs', '@user:hs'), k);
  t.not(keys.key('!room:hs', '@other:hs'), k);
  t.is(keys.key('a', 'b\u0000c'), 'a\u0000b\u0000c');
});

test('past its limit the table starts over and keeps giving right keys', (t) => {
  const keys = new PairKeys(10);
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < 25; i++) {
      t.is(keys.key(`r${i % 3}`, `u${i}`), `r${i % 3}\u0000u${i}`);
      t.true(keys.size <= 10);
    }
  }
  t.is(keys.key('x', 'y'), 'x\u0000y');
});
