import test from 'ava';
import { aliceRooms, assertEachAsAlone, bodies, cast, createRoom, join, restart, roomsOf, startServer, sync, talk, type Variant } from './rooms-mix.js';

const ids = (room: any): string[] => (room?.timeline?.events ?? []).map((e: any) => e.event_id);
const stateOf = (room: any): any[] => room?.state?.events ?? [];

const VARIANTS: Variant[] = [
  { name: 'no filter', params: {}, filter: {} },
  { name: 'lazy-loaded members, short timelines', params: {}, filter: { room: { state: { lazy_load_members: true }, timeline: { limit: 3 } } } },
  { name: 'use_state_after', params: { use_state_after: 'true' }, filter: {} },
  { name: 'left rooms included', params: {}, filter: { room: { include_leave: true } } },
  { name: 'types and senders', params: {}, filter: { room: { timeline: { types: ['m.room.message'], limit: 4 }, state: { not_types: ['m.room.topic'], not_senders: ['@carol:hs.test'] } } } },
];

test('an initial sync of many rooms shows each as it should: state, gaps, summaries, unread counts, visibility, edits', async (t) => {
  const s = await startServer(t);
  const c = await cast(s);
  const mix = await aliceRooms(c);
  const { rooms } = mix;
  const body = await sync(c.alice);
  const join = body.rooms.join;
  t.deepEqual(Object.keys(join).sort(), [rooms.quiet, rooms.busy, rooms.mention, rooms.crowd, rooms.secret, rooms.edited].sort());

  t.false(join[rooms.quiet].timeline.limited);
  t.deepEqual(bodies(join[rooms.quiet]), ['quiet 0']);
  t.true([...stateOf(join[rooms.quiet]), ...join[rooms.quiet].timeline.events].some((e: any) => e.type === 'm.room.name' && e.content.name === 'Quiet'));
  t.deepEqual(join[rooms.quiet].summary, { 'm.heroes': [], 'm.joined_member_count': 1, 'm.invited_member_count': 0 });

  const busy = join[rooms.busy];
  t.true(busy.timeline.limited);
  t.deepEqual(bodies(busy), Array.from({ length: 10 }, (_, i) => `busy ${i + 4}`));
  t.deepEqual(stateOf(busy).map((e: any) => `${e.type} ${e.state_key}`).sort(), [
    'm.room.create ',
    'm.room.guest_access ',
    'm.room.history_visibility ',
    'm.room.join_rules ',
    `m.room.member ${c.alice.userId}`,
    `m.room.member ${c.bob.userId}`,
    'm.room.name ',
    'm.room.power_levels ',
  ]);
  // Read up to "busy 3": the ten after it count, none of them mentions her.
  t.deepEqual(busy.unread_notifications, { notification_count: 10, highlight_count: 0 });
  t.deepEqual(join[rooms.mention].unread_notifications, { notification_count: 2, highlight_count: 1 });

  const crowd = join[rooms.crowd];
  t.deepEqual(crowd.summary, {
    'm.heroes': ['@bob:hs.test', '@carol:hs.test', '@dan:hs.test', '@erin:hs.test', '@frank:hs.test'],
    'm.joined_member_count': 7,
    'm.invited_member_count': 1,
  });
  t.deepEqual(crowd.unread_notifications, { notification_count: 3, highlight_count: 0 });

  // History from before her join stays hidden; what came after shows.
  const secret = join[rooms.secret];
  t.false(ids(secret).some((id) => mix.events.secretBefore.includes(id)));
  t.deepEqual(bodies(secret), ['after alice']);

  const edited = join[rooms.edited].timeline.events as any[];
  t.is(edited.find((e) => e.content.body === 'frist')?.unsigned['m.relations']['m.replace'].content['m.new_content'].body, 'first');
  const redacted = edited.find((e) => e.event_id === mix.events.redacted);
  t.deepEqual(redacted.content, {});
  t.is(redacted.unsigned.redacted_because.content.reason, 'typo');

  t.deepEqual(body.rooms.leave, {});
  t.true(body.rooms.invite[rooms.invited].invite_state.events.some((e: any) => e.type === 'm.room.name' && e.content.name === 'Come in'));
  const withLeft = await sync(c.alice, { filter: JSON.stringify({ room: { include_leave: true } }) });
  const left = withLeft.rooms.leave[rooms.left];
  t.deepEqual(bodies(left), ['left 0', 'left 1']);
  t.is(left.timeline.events.at(-1).content.membership, 'leave');
});

test('every room of an initial sync of many, read all at once, is what a sync of that room alone shows, for each kind of request', async (t) => {
  const s = await startServer(t);
  const c = await cast(s);
  const mix = await aliceRooms(c);
  await assertEachAsAlone(t, s, c.alice, Object.values(mix.rooms), VARIANTS);
});

test('after a restart, with nothing in memory, the same initial sync answers the same; rejected and soft-failed events never show or count', async (t) => {
  const s = await startServer(t);
  const c = await cast(s);
  const mix = await aliceRooms(c);
  const forged = await createRoom(c.alice, { preset: 'public_chat' });
  await join(c.bob, forged);
  const sent = await talk(c.bob, forged, 5, 'forged');
  const warm = roomsOf(await sync(c.alice));
  let server = await restart(t, s);
  const cold = roomsOf(await sync(server.as(c.alice)));
  t.deepEqual(cold, warm);
  t.true(Object.keys(cold.join).length >= 6 && cold.invite[mix.rooms.invited] !== undefined);
  t.deepEqual(bodies(cold.join[forged]), ['forged 0', 'forged 1', 'forged 2', 'forged 3', 'forged 4']);
  t.deepEqual(cold.join[forged].unread_notifications, { notification_count: 5, highlight_count: 0 });

  // As if federation had let them in and checks had then turned them down.
  await server.hs.database.db('events').where('event_id', sent[1]).update({ soft_failed: true });
  await server.hs.database.db('events').where('event_id', sent[3]).update({ rejected_reason: 'auth_error' });
  server = await restart(t, s, server.hs);
  // They were never counted, so no counts kept at the last stop may count them either.
  await server.hs.database.db('room_unread_checkpoints').where('room_id', forged).delete();
  const after = (await sync(server.as(c.alice))).rooms.join[forged];
  t.deepEqual(bodies(after), ['forged 0', 'forged 2', 'forged 4']);
  t.deepEqual(after.unread_notifications, { notification_count: 3, highlight_count: 0 });
  const limited = (await sync(server.as(c.alice), { filter: JSON.stringify({ room: { rooms: [forged], timeline: { limit: 2 } } }) })).rooms.join[forged];
  t.deepEqual(bodies(limited), ['forged 2', 'forged 4']);
  t.true(limited.timeline.limited);
});

test('a timeline holding exactly the limit is not limited, whether read from memory or after a restart', async (t) => {
  const s = await startServer(t);
  const c = await cast(s);
  const room = await createRoom(c.alice, { preset: 'public_chat' });
  await talk(c.alice, room, 3, 'said');
  const only = (limit: number): Record<string, string> => ({ filter: JSON.stringify({ room: { rooms: [room], timeline: { limit, types: ['m.room.message'] } } }) });
  const warm = (await sync(c.alice, only(3))).rooms.join[room];
  t.deepEqual(bodies(warm), ['said 0', 'said 1', 'said 2']);
  t.false(warm.timeline.limited);
  const server = await restart(t, s);
  const cold = (await sync(server.as(c.alice), only(3))).rooms.join[room];
  t.deepEqual(bodies(cold), ['said 0', 'said 1', 'said 2']);
  t.false(cold.timeline.limited, 'nothing older matches the filter');
  const fewer = (await sync(server.as(c.alice), only(2))).rooms.join[room];
  t.deepEqual(bodies(fewer), ['said 1', 'said 2']);
  t.true(fewer.timeline.limited);
});
