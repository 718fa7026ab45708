import test from 'ava';
import { migrate } from '../../src/db/migrations.js';
import { allMigrations } from '../../src/db/schema.js';
import { SEARCH_KEYS, SearchStore, searchQueryOf } from '../../src/components/rooms/storage/search.js';
import type { StoredEvent } from '../../src/components/rooms/storage/events.js';
import { HistoryVisibility } from '../../src/components/rooms/visibility.js';
import { createTestDatabase, postgresServerUrl } from '../helpers/database.js';

const ROOM = '!r:hs.test';

/** Inserts bare event rows: what the index and visibility read of them. */
function eventRows(): { rows: Array<Record<string, unknown>>; add: (type: string, content: Record<string, unknown>, extra?: Record<string, unknown>) => string } {
  const rows: Array<Record<string, unknown>> = [];
  const add = (type: string, content: Record<string, unknown>, extra: Record<string, unknown> = {}): string => {
    const n = rows.length + 1;
    const { json, room_id: roomId, ...columns } = extra as { json?: string; room_id?: string; state_key?: string };
    const stateKey = columns.state_key;
    rows.push({
      stream_ordering: n,
      event_id: `$e${n}`,
      room_id: roomId ?? ROOM,
      depth: n,
      type,
      sender: '@alice:hs.test',
      origin_server_ts: 1000 + n,
      json: json ?? JSON.stringify({ type, sender: '@alice:hs.test', content, ...(stateKey !== undefined ? { state_key: stateKey } : {}) }),
      ...columns,
    });
    return `$e${n}`;
  };
  return { rows, add };
}

async function backfill(kind: 'postgres' | 'pglite') {
  const tdb = await createTestDatabase(kind);
  const { db, close } = tdb.open();
  try {
    const steps = allMigrations();
    await migrate(db, steps.filter((s) => s.name !== 'rooms/006_event_search' && s.name !== 'rooms/007_event_search_by_position'));
    const { rows, add } = eventRows();
    const hello = add('m.room.message', { msgtype: 'm.text', body: 'Hello wide world' });
    const image = add('m.room.message', { msgtype: 'm.image', body: 'hello picture', url: 'mxc://hs.test/x' });
    const name = add('m.room.name', { name: 'Hello room' }, { state_key: '' });
    const topic = add('m.room.topic', { topic: 'plain', 'm.topic': { 'm.text': [{ mimetype: 'text/html', body: '<i>markup</i>' }, { body: 'hello topic' }] } }, { state_key: '' });
    add('m.room.encrypted', { ciphertext: 'hello' });
    add('m.room.message', { body: 'hello outlier' }, { outlier: true });
    add('m.room.message', { body: 'hello rejected' }, { rejected_reason: 'auth' });
    add('m.room.message', { body: 'hello soft failed' }, { soft_failed: true });
    add('m.room.message', { body: 42 });
    add('m.room.message', {}, { json: '{"type":"m.room.message","content":{"body":"hello \\u0000 nul"}}' });
    const redacted = add('m.room.message', { body: 'hello redacted' });
    const redaction = add('m.room.redaction', { redacts: redacted });
    await db('events').insert(rows);
    await db('redactions').insert({ event_id: redaction, redacts: redacted, room_id: ROOM });

    await migrate(db, steps);
    const indexed = (await db('event_search as s')
      .join('events as e', 'e.stream_ordering', 's.stream_ordering')
      .select('e.event_id', 'e.room_id', 's.key', 's.contains_url')
      .orderBy('e.event_id')) as Array<Record<string, unknown>>;
    const store = new SearchStore(db);
    const query = searchQueryOf('hello')!;
    const criteria = { query, keys: SEARCH_KEYS, windows: [{ roomId: ROOM }] };
    const hits = await store.hits(criteria, 'recent', undefined, 10);
    const ranked = await store.hits(criteria, 'rank', undefined, 10);
    const after = await store.hits(criteria, 'rank', { rank: ranked[0]!.rank, stream: ranked[0]!.stream }, 10);
    const partial = await store.hits({ ...criteria, query: searchQueryOf('wor')! }, 'recent', undefined, 10);
    const notBefore = await store.hits({ ...criteria, windows: [{ roomId: ROOM, after: { depth: 1, stream: 1 } }] }, 'recent', undefined, 10);
    return {
      ids: { hello, image, name, topic },
      indexed,
      recent: hits.map((h) => h.eventId),
      ranked: ranked.map((h) => h.eventId),
      after: after.map((h) => h.eventId),
      partial: partial.map((h) => h.eventId),
      notBefore: notBefore.map((h) => h.eventId),
      count: await store.count(criteria),
      withUrl: (await store.hits({ ...criteria, containsUrl: true }, 'recent', undefined, 10)).map((h) => h.eventId),
      highlights: await store.highlights(searchQueryOf('hello wi')!, ['Hello wide world']),
    };
  } finally {
    await close();
    await tdb.drop();
  }
}

test('the search index fills itself from events already held, and answers alike on PostgreSQL and PGlite', async (t) => {
  const lite = await backfill('pglite');
  const { hello, image, name, topic } = lite.ids;
  t.deepEqual(lite.indexed, [
    { event_id: hello, room_id: ROOM, key: 'content.body', contains_url: false },
    { event_id: image, room_id: ROOM, key: 'content.body', contains_url: true },
    { event_id: name, room_id: ROOM, key: 'content.name', contains_url: false },
    { event_id: topic, room_id: ROOM, key: 'content.topic', contains_url: false },
  ].sort((a, b) => a.event_id.localeCompare(b.event_id)));
  t.deepEqual(lite.recent, [topic, name, image, hello]);
  t.is(lite.count, 4);
  t.deepEqual([...lite.ranked].sort(), [...lite.recent].sort());
  t.deepEqual(lite.after, lite.ranked.slice(1));
  t.deepEqual(lite.partial, [hello]);
  t.deepEqual(lite.notBefore, [topic, name, image]);
  t.deepEqual(lite.withUrl, [image]);
  t.deepEqual(lite.highlights.sort(), ['hello', 'wi', 'wide']);
  if (await postgresServerUrl()) t.deepEqual(await backfill('postgres'), lite);
  else t.log('PostgreSQL is not reachable here: PGlite only');
});

/** A small deterministic generator, so a failure can be replayed. */
function random(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31;
  };
}

test('visible ranges agree with canSee for every ordinary event', async (t) => {
  const tdb = await createTestDatabase('pglite');
  const { db, close } = tdb.open();
  t.teardown(async () => {
    await close();
    await tdb.drop();
  });
  await migrate(db, allMigrations());
  const next = random(7);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
  const user = '@bob:hs.test';
  const trials: Array<{ roomId: string; messages: StoredEvent[] }> = [];
  const all: Array<Record<string, unknown>> = [];
  let stream = 0;
  for (let trial = 0; trial < 60; trial++) {
    const roomId = `!t${trial}:hs.test`;
    const messages: StoredEvent[] = [];
    let depth = 1;
    for (let i = 0; i < 14; i++) {
      stream++;
      // Now and then two events share a depth (a fork): order is (depth, stream).
      if (next() < 0.75) depth++;
      const kind = next();
      let type = 'm.room.message';
      let content: Record<string, unknown> = { body: 'x' };
      let stateKey: string | undefined;
      if (kind < 0.3) {
        type = 'm.room.member';
        stateKey = user;
        content = { membership: pick(['join', 'leave', 'invite', 'ban', 'join']) };
      } else if (kind < 0.45) {
        type = 'm.room.history_visibility';
        stateKey = '';
        content = { history_visibility: pick(['world_readable', 'shared', 'invited', 'joined']) };
      }
      all.push({
        stream_ordering: stream,
        event_id: `$v${stream}`,
        room_id: roomId,
        depth,
        type,
        state_key: stateKey ?? null,
        sender: '@alice:hs.test',
        origin_server_ts: stream,
        json: JSON.stringify({ type, content, ...(stateKey !== undefined ? { state_key: stateKey } : {}) }),
      });
      if (type === 'm.room.message') {
        messages.push({ eventId: `$v${stream}`, roomId, streamOrdering: stream, depth, pdu: { type, content } } as unknown as StoredEvent);
      }
    }
    trials.push({ roomId, messages });
  }
  for (let i = 0; i < all.length; i += 200) await db('events').insert(all.slice(i, i + 200));

  const lt = (a: { depth: number; stream: number }, b: { depth: number; stream: number }): boolean => a.depth < b.depth || (a.depth === b.depth && a.stream < b.stream);
  let checked = 0;
  for (const { roomId, messages } of trials) {
    const vis = await HistoryVisibility.load(db, roomId, user);
    const ranges = vis.visibleRanges();
    for (const e of messages) {
      const p = { depth: e.depth, stream: e.streamOrdering };
      const inRanges = ranges.some((r) => (!r.after || lt(r.after, p)) && (!r.upTo || !lt(r.upTo, p)));
      t.is(inRanges, vis.canSee(e), `${roomId} ${e.eventId}`);
      checked++;
    }
  }
  t.true(checked > 300);
});
