import 'fake-indexeddb/auto';
import test from 'ava';
import { applySync, emptySyncState } from '../src/matrix/sync/accumulator';
import { IndexedDbStore } from '../src/matrix/store/indexeddb';
import { MemoryStore } from '../src/matrix/store/memory';
import { EVENTS_KEPT_PER_ROOM, MEDIA_KEPT, type ClientStore } from '../src/matrix/store/store';
import { ME, joined, msg } from './fixtures';

const ROOM = '!r:hs.test';
let n = 0;

const factories: Array<[string, () => () => Promise<ClientStore>]> = [
  ['memory', () => {
    const one = new MemoryStore();
    return () => Promise.resolve(one);
  }],
  ['indexeddb', () => {
    const user = `@user${n++}:hs.test`;
    return () => IndexedDbStore.open(user);
  }],
];

for (const [name, factory] of factories) {
  // Each test gets its own store; opening it again gives the same data.
  const open = (): (() => Promise<ClientStore>) => factory();
  test(`${name}: saves and loads rooms, trimming long timelines`, async (t) => {
    const reopen = open();
    const store = await reopen();
    t.is(await store.load(), undefined);
    const events = Array.from({ length: EVENTS_KEPT_PER_ROOM + 5 }, (_, i) => msg(`m${i}`));
    const s = applySync(emptySyncState(), { ...joined(ROOM, { timeline: { events, prev_batch: 'p' } }), account_data: { events: [{ type: 'm.direct', content: {} }] } }, ME);
    await store.save(s.state, s.changed);
    const loaded = await store.load();
    t.is(loaded?.nextBatch, 's1');
    t.deepEqual(loaded?.accountData, { 'm.direct': {} });
    t.is(loaded?.rooms[ROOM]?.timeline.length, EVENTS_KEPT_PER_ROOM);
    t.is(loaded?.rooms[ROOM]?.timeline.at(-1)?.content.body, `m${EVENTS_KEPT_PER_ROOM + 4}`);
    t.is(loaded?.rooms[ROOM]?.prevBatch, undefined);
    store.close();
  });

  test(`${name}: only changed rooms are written`, async (t) => {
    const reopen = open();
    const store = await reopen();
    const s1 = applySync(emptySyncState(), joined(ROOM, { timeline: { events: [msg('a')] } }), ME);
    await store.save(s1.state, s1.changed);
    const s2 = applySync(s1.state, joined('!other:hs.test', { timeline: { events: [msg('b')] } }, 's2'), ME);
    await store.save(s2.state, s2.changed);
    const loaded = await store.load();
    t.deepEqual(Object.keys(loaded!.rooms).sort(), ['!other:hs.test', ROOM]);
    t.is(loaded!.nextBatch, 's2');
    store.close();
  });

  test(`${name}: media keeps the newest thumbnails, clear forgets everything`, async (t) => {
    const reopen = open();
    const store = await reopen();
    for (let i = 0; i < MEDIA_KEPT + 3; i++) await store.putMedia(`mxc://hs/${i}`, new Blob([String(i)]));
    t.is(await store.getMedia('mxc://hs/0'), undefined);
    const last = await store.getMedia(`mxc://hs/${MEDIA_KEPT + 2}`);
    t.is(await last?.text(), String(MEDIA_KEPT + 2));
    const s = applySync(emptySyncState(), joined(ROOM, {}), ME);
    await store.save(s.state, s.changed);
    await store.clear();
    t.is(await (await reopen()).load(), undefined);
  });
}

test('indexeddb: a reopened database gives back what was saved', async (t) => {
  const user = '@reopen:hs.test';
  const a = await IndexedDbStore.open(user);
  const s = applySync(emptySyncState(), joined(ROOM, { timeline: { events: [msg('persisted')] } }), ME);
  await a.save(s.state, s.changed);
  a.close();
  const b = await IndexedDbStore.open(user);
  t.is((await b.load())?.rooms[ROOM]?.timeline[0]?.content.body, 'persisted');
  b.close();
});
