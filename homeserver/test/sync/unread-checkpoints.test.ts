import test from 'ava';
import { UnreadCheckpoints } from '../../src/components/rooms/unread-checkpoints.js';
import { cast, createRoom, join, readUpTo, restart, startServer, sync, talk } from './rooms-mix.js';

const counts = (body: any, roomId: string): unknown => body.rooms.join[roomId]?.unread_notifications;

test('after a restart, unread counts go on from the counts kept at shutdown, for the same read position and push rules only', async (t) => {
  const s = await startServer(t);
  const c = await cast(s);
  const room = await createRoom(c.alice, { preset: 'public_chat' });
  await join(c.bob, room);
  const said = await talk(c.bob, room, 4, 'line');
  t.deepEqual(counts(await sync(c.alice), room), { notification_count: 4, highlight_count: 0 });

  let server = await restart(t, s);
  const kept = () => server.hs.database.db('room_unread_checkpoints').where({ user_id: c.alice.userId, room_id: room });
  const row = await kept().first();
  t.like(row, { notifications: 4, highlights: 0 });
  // Nothing is counted in memory yet: what the checkpoint says is what the server goes on from.
  await kept().update({ notifications: 40 });
  t.deepEqual(counts(await sync(server.as(c.alice)), room), { notification_count: 40, highlight_count: 0 });
  await talk(server.as(c.bob), room, 2, 'more');
  t.deepEqual(counts(await sync(server.as(c.alice)), room), { notification_count: 42, highlight_count: 0 });

  // Counts kept for another read position are not used.
  server = await restart(t, s, server.hs);
  t.like(await kept().first(), { notifications: 42 });
  await kept().update({ after_stream: Number(row.after_stream) - 1, notifications: 99 });
  t.deepEqual(counts(await sync(server.as(c.alice)), room), { notification_count: 6, highlight_count: 0 });

  // Nor counts made under other push rules.
  server = await restart(t, s, server.hs);
  await kept().update({ notifications: 99, rules_tag: 'other rules' });
  t.deepEqual(counts(await sync(server.as(c.alice)), room), { notification_count: 6, highlight_count: 0 });

  // A receipt moves the read position: counting starts again from it, and so does the next checkpoint.
  await readUpTo(server.as(c.alice), room, said[3]!);
  t.deepEqual(counts(await sync(server.as(c.alice)), room), { notification_count: 2, highlight_count: 0 });
  server = await restart(t, s, server.hs);
  t.like(await kept().first(), { notifications: 2 });
  t.deepEqual(counts(await sync(server.as(c.alice)), room), { notification_count: 2, highlight_count: 0 });
});

test('checkpoints are written on their own a while after counts change, one row per user and room', async (t) => {
  const s = await startServer(t);
  const db = s.hs.database.db;
  const checkpoints = new UnreadCheckpoints(db, undefined, 20);
  const rules = { global: { override: [], content: [], room: [], sender: [], underride: [] } } as never;
  const entry = { after: 3, upTo: 9, notifications: 2, highlights: 1, rules };
  checkpoints.note('k', '!r:hs.test', '@u:hs.test', entry);
  entry.notifications = 5; // changed in place before the write: the write takes the latest value
  checkpoints.note('k', '!r:hs.test', '@u:hs.test', entry);
  for (let i = 0; i < 100 && !(await db('room_unread_checkpoints').where('user_id', '@u:hs.test').first()); i++) await new Promise((r) => setTimeout(r, 20));
  const rows = await db('room_unread_checkpoints').where('user_id', '@u:hs.test');
  t.is(rows.length, 1);
  t.like(rows[0], { room_id: '!r:hs.test', notifications: 5, highlights: 1 });
  t.deepEqual([Number(rows[0].after_stream), Number(rows[0].up_to)], [3, 9]);
  const loaded = await checkpoints.load('@u:hs.test', ['!r:hs.test', '!other:hs.test'], rules);
  t.deepEqual([...loaded], [['!r:hs.test', { after: 3, upTo: 9, notifications: 5, highlights: 1 }]]);
  t.is((await checkpoints.load('@u:hs.test', ['!r:hs.test'], { ...(rules as object) } as never)).size, 1, 'the same rules read back again match');
  await checkpoints.stop();
});
