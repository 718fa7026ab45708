import test from 'ava';
import { Cancel } from '../../src/util/cancel.js';

test('cancel runs each listener once, in order, and later listeners at once', (t) => {
  const c = new Cancel();
  const calls: string[] = [];
  c.onCancel(() => calls.push('a'));
  const off = c.onCancel(() => calls.push('b'));
  c.onCancel(() => calls.push('c'));
  off();
  t.false(c.cancelled);
  c.cancel();
  c.cancel();
  t.true(c.cancelled);
  t.deepEqual(calls, ['a', 'c']);
  c.onCancel(() => calls.push('late'));
  t.deepEqual(calls, ['a', 'c', 'late']);
});
