import test from 'ava';
import { Coalescer } from '../../src/util/coalesce.js';

/** A loader that answers each key with its length and records every call. */
function lengths(): { loader: Coalescer<string, number>; calls: string[][] } {
  const calls: string[][] = [];
  const loader = new Coalescer<string, number>(async (queries) => {
    calls.push([...queries.keys()]);
    return new Map([...queries].map(([k, q]) => [k, q.length]));
  });
  return { loader, calls };
}

test('keys asked for by concurrent callers, even several awaits deep, are loaded in one call', async (t) => {
  const { loader, calls } = lengths();
  const deep = async (key: string, hops: number): Promise<number | undefined> => {
    for (let i = 0; i < hops; i++) await Promise.resolve();
    return loader.load(key, key);
  };
  const values = await Promise.all(['a', 'bb', 'ccc', 'bb'].map((k, i) => deep(k, i * 3)));
  t.deepEqual(values, [1, 2, 3, 2]);
  t.deepEqual(calls, [['a', 'bb', 'ccc']]);
});

test('a key asked for after a batch left is loaded in the next one', async (t) => {
  const { loader, calls } = lengths();
  t.is(await loader.load('a', 'a'), 1);
  const both = await loader.join([
    ['bb', 'bb'],
    ['none', ''],
  ]);
  t.is(both.get('bb'), 2);
  t.is(both.get('none'), 0);
  t.deepEqual(calls, [['a'], ['bb', 'none']]);
});

test('a failed load fails the callers of its batch, and the next batch loads again', async (t) => {
  let fail = true;
  const loader = new Coalescer<string, string>(async (queries) => {
    if (fail) throw new Error('database gone');
    return new Map([...queries.keys()].map((k) => [k, k.toUpperCase()]));
  });
  const results = await Promise.allSettled([loader.load('x', 'x'), loader.load('y', 'y')]);
  t.deepEqual(
    results.map((r) => r.status),
    ['rejected', 'rejected'],
  );
  fail = false;
  t.is(await loader.load('x', 'x'), 'X');
});
