import test from 'ava';
import { aliceRooms, assertEachAsAlone, bodies, cast, createRoom, invite, join, leave, say, setState, startServer, sync, talk, type Variant } from './rooms-mix.js';


const VARIANTS: Variant[] = [
  { name: 'no filter', params: {}, filter: {} },
  { name: 'full_state', params: { full_state: 'true' }, filter: {} },
  { name: 'use_state_after', params: { use_state_after: 'true' }, filter: {} },
  { name: 'lazy-loaded members', params: {}, filter: { room: { state: { lazy_load_members: true }, timeline: { limit: 5 } } } },
];

test('an incremental sync with many changed and newly joined rooms shows each as a sync of that room alone does', async (t) => {
  const s = await startServer(t);
  const c = await cast(s);
  const mix = await aliceRooms(c);
  const since = (await sync(c.alice)).next_batch as string;

  // While she was away: rooms she joins with history (full state, a gap), talk where she is,
  // someone leaving, her leaving one, a new invite.
  const joined: string[] = [];
  for (let i = 0; i < 3; i++) {
    const roomId = await createRoom(c.bob, { preset: 'public_chat', name: `New ${i}` });
    await talk(c.bob, roomId, 12, `new ${i}`);
    await join(c.alice, roomId);
    await say(c.bob, roomId, `welcome ${i}`);
    joined.push(roomId);
  }
  await talk(c.bob, mix.rooms.busy, 2, 'busy again');
  // A gap with a change of state in it: the state section carries the change.
  await setState(c.alice, mix.rooms.edited, 'm.room.name', { name: 'Renamed' });
  await talk(c.bob, mix.rooms.edited, 12, 'edited again');
  await leave(c.others[0]!, mix.rooms.crowd);
  await say(c.bob, mix.rooms.crowd, 'carol went');
  await leave(c.alice, mix.rooms.mention);
  const invitedAgain = await createRoom(c.bob, { name: 'Later' });
  await invite(c.bob, invitedAgain, c.alice);

  const warm = await sync(c.alice, { since });
  t.deepEqual(Object.keys(warm.rooms.join).sort(), [...joined, mix.rooms.busy, mix.rooms.crowd, mix.rooms.edited].sort());
  const edited = warm.rooms.join[mix.rooms.edited];
  t.true(edited.timeline.limited);
  t.deepEqual(
    edited.state.events.map((e: any) => [e.type, e.content.name]),
    [['m.room.name', 'Renamed']],
  );
  for (const [i, roomId] of joined.entries()) {
    const room = warm.rooms.join[roomId];
    t.true(room.timeline.limited);
    t.is(bodies(room).at(-1), `welcome ${i}`);
    t.true(room.state.events.some((e: any) => e.type === 'm.room.name' && e.content.name === `New ${i}`));
    t.true(room.state.events.some((e: any) => e.type === 'm.room.create'));
  }
  t.deepEqual(bodies(warm.rooms.join[mix.rooms.busy]), ['busy again 0', 'busy again 1']);
  t.false(warm.rooms.join[mix.rooms.busy].timeline.limited);
  t.deepEqual(warm.rooms.join[mix.rooms.busy].state.events, []);
  t.is(warm.rooms.join[mix.rooms.crowd].summary['m.joined_member_count'], 6);
  t.is(warm.rooms.leave[mix.rooms.mention].timeline.events.at(-1).content.membership, 'leave');
  t.truthy(warm.rooms.invite[invitedAgain]);

  await assertEachAsAlone(t, s, c.alice, [...Object.values(mix.rooms), ...joined, invitedAgain], VARIANTS, { since });
});
