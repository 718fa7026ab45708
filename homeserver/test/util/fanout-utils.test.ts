import test from 'ava';
import { Gate } from '../../src/util/gate.js';
import { LruCache } from '../../src/util/lru.js';
import { embedRaw, RawJson, stringifyWithRaw } from '../../src/util/raw-json.js';

test('stringifyWithRaw: raw pieces appear as their text, the rest as JSON.stringify writes it', (t) => {
  const doc = { a: 1, list: embedRaw(new RawJson('[{"x":1},{"y":"two"}]')), nested: { b: [embedRaw(new RawJson('{"z":null}')), 'text'] }, after: 'end' };
  const text = stringifyWithRaw(doc);
  t.deepEqual(JSON.parse(text), { a: 1, list: [{ x: 1 }, { y: 'two' }], nested: { b: [{ z: null }, 'text'] }, after: 'end' });
  t.is(text, JSON.stringify(doc), 'plain JSON.stringify gives the same document (through toJSON)');
  t.is(stringifyWithRaw({ none: [1, 2] }), '{"none":[1,2]}');
  t.is(stringifyWithRaw(embedRaw(new RawJson('[]'))), '[]');
});

test('stringifyWithRaw: strings that look like placeholders stay as they are', (t) => {
  const lookalikes = ['\u0001', '\u00010', '\u0001abc:0', '"\\u00010"'];
  const doc = { user: lookalikes, raw: embedRaw(new RawJson('{"ok":true}')) };
  t.deepEqual(JSON.parse(stringifyWithRaw(doc)), { user: lookalikes, raw: { ok: true } });
});

test('LruCache: evicts the least recently used; a read counts as use', (t) => {
  const c = new LruCache<string, number>(2);
  c.set('a', 1);
  c.set('b', 2);
  t.is(c.get('a'), 1);
  c.set('c', 3);
  t.is(c.get('b'), undefined, 'b was the least recently used');
  t.is(c.get('a'), 1);
  t.is(c.get('c'), 3);
  t.is(c.size, 2);
});

test('LruCache: in a large cache an entry read now and then is never evicted, whatever else comes', (t) => {
  const c = new LruCache<number, number>(100);
  c.set(-1, -1);
  for (let i = 0; i < 1000; i++) {
    c.set(i, i);
    if (i % 40 === 0) t.is(c.get(-1), -1, `still there after ${i} insertions`);
  }
  t.is(c.size, 100);
  t.is(c.get(0), undefined, 'old entries never read are gone');
});

test('Gate: at most `limit` tasks at once, in arrival order; a failing task frees its place', async (t) => {
  const gate = new Gate(2);
  let running = 0;
  let peak = 0;
  const order: number[] = [];
  const task = (i: number) => async () => {
    running++;
    peak = Math.max(peak, running);
    order.push(i);
    await new Promise((res) => setTimeout(res, 5));
    running--;
    if (i === 1) throw new Error('boom');
    return i;
  };
  const results = await Promise.allSettled([0, 1, 2, 3, 4].map((i) => gate.run(task(i))));
  t.is(peak, 2);
  t.deepEqual(order, [0, 1, 2, 3, 4]);
  t.deepEqual(
    results.map((r) => r.status),
    ['fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled'],
  );
  t.is(gate.queued, 0);
  t.is(await gate.run(async () => 'again'), 'again', 'usable after all that');
});

test('Gate: with yieldEvery, the event loop gets a turn between runs of queued tasks', async (t) => {
  const gate = new Gate(1, 2);
  const log: string[] = [];
  const task = (i: number) => async () => {
    log.push(`task ${i}`);
    if (i === 0) setImmediate(() => log.push('io'));
  };
  await Promise.all([0, 1, 2, 3].map((i) => gate.run(task(i))));
  t.deepEqual(log, ['task 0', 'task 1', 'io', 'task 2', 'task 3'], 'the second hand-over waits for a turn of the loop');
});

test('Gate: while a wave waits, more tasks run between turns of the loop', async (t) => {
  const gate = new Gate(1, 2, { waiting: 3, yieldEvery: 4 });
  const log: string[] = [];
  const task = (i: number) => async () => {
    log.push(`task ${i}`);
    if (i === 0) setImmediate(() => log.push('io'));
  };
  await Promise.all([0, 1, 2, 3, 4, 5, 6, 7].map((i) => gate.run(task(i))));
  // Without the wave the loop's turn would come after task 1, as in the test above.
  t.deepEqual(log, ['task 0', 'task 1', 'task 2', 'task 3', 'io', 'task 4', 'task 5', 'task 6', 'task 7']);
});
