import test from 'ava';
import { Notifier } from '../../src/components/sync/notifier.js';
import { Cancel } from '../../src/util/cancel.js';

test('a subscription is called on every poke of its user or rooms until closed', (t) => {
  const n = new Notifier();
  let calls = 0;
  const sub = n.subscribe('@a:x', new Set(['!r1']), n.now(), () => calls++, () => t.fail('not closed'));
  n.pokeRoom('!r1');
  n.pokeRoom('!r1');
  n.pokeUser('@a:x');
  n.pokeRoom('!other');
  n.pokeUser('@b:x');
  t.is(calls, 3);
  sub.close();
  n.pokeRoom('!r1');
  t.is(calls, 3);
  t.is(n.waiting, 0);
});

test('a subscription catches pokes since the given tick, and rooms it starts listening on later', (t) => {
  const n = new Notifier();
  const before = n.now();
  n.pokeRoom('!r1');
  let calls = 0;
  const sub = n.subscribe('@a:x', new Set(['!r1']), before, () => calls++, () => undefined);
  t.is(calls, 1, 'the poke between the tick and the subscription counts');
  const tick = n.now();
  n.pokeRoom('!r2');
  t.is(calls, 1, 'not listening on r2 yet');
  t.true(sub.setRooms(new Set(['!r1', '!r2']), tick), 'r2 was poked after the tick');
  t.false(sub.setRooms(new Set(['!r1', '!r2']), n.now()), 'the same rooms again: nothing missed');
  n.pokeRoom('!r2');
  t.is(calls, 2);
  sub.setRooms(new Set(['!r2']), n.now());
  n.pokeRoom('!r1');
  t.is(calls, 2, 'r1 no longer listened on');
  sub.close();
});

test('closing the notifier ends subscriptions and one-off waits alike', async (t) => {
  const n = new Notifier();
  let closed = 0;
  n.subscribe('@a:x', new Set(['!r1']), n.now(), () => t.fail('no poke'), () => closed++);
  const wait = n.wait('@b:x', new Set(['!r1']), n.now(), 60_000);
  n.close();
  t.is(closed, 1);
  t.false(await wait);
  n.subscribe('@c:x', new Set(), n.now(), () => undefined, () => closed++);
  await Promise.resolve();
  t.is(closed, 2, 'a subscription after the close ends at once');
});

test('a wait ends unwoken when cancelled, and leaves nothing registered', async (t) => {
  const n = new Notifier();
  const gone = new Cancel();
  const wait = n.wait('@a:x', new Set(['!r1']), n.now(), 60_000, gone);
  t.is(n.waiting, 1);
  gone.cancel();
  t.false(await wait);
  t.is(n.waiting, 0);
  n.pokeRoom('!r1');
  t.false(await n.wait('@a:x', new Set(['!r1']), n.now(), 60_000, gone), 'already cancelled: returns at once');
  t.is(n.waiting, 0);
});

test('a wait woken by a poke stops listening for its cancellation', async (t) => {
  const n = new Notifier();
  const gone = new Cancel();
  let heard = 0;
  gone.onCancel(() => heard++);
  const wait = n.wait('@a:x', new Set(['!r1']), n.now(), 60_000, gone);
  n.pokeRoom('!r1');
  t.true(await wait);
  gone.cancel();
  t.is(heard, 1, 'only the other listener ran');
  t.is(n.waiting, 0);
});
