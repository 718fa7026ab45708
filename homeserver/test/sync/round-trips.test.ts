import test from 'ava';
import type { Homeserver } from '../../src/homeserver.js';
import type { TestUser } from '../helpers/client.js';
import { createRoom, join, readUpTo, restart, startServer, sync, talk } from './rooms-mix.js';
import { registerUser } from '../helpers/client.js';

/** The statements `hs` sends to its database while `work` runs. */
async function statements(hs: Homeserver, work: () => Promise<unknown>): Promise<number> {
  let n = 0;
  const count = (): void => void n++;
  hs.database.db.on('query', count);
  try {
    await work();
  } finally {
    hs.database.db.off('query', count);
  }
  return n;
}

const onlyRooms = (rooms: readonly string[]) => ({ filter: JSON.stringify({ room: { rooms } }) });

test('the database round trips of a first sync do not grow with the number of rooms, cold or in the process that wrote them', async (t) => {
  const s = await startServer(t);
  const [alice, bob] = await Promise.all([registerUser(s, 'alice'), registerUser(s, 'bob')]);
  // Rooms alike: a gap in each timeline, a member summary, a read position, unread messages.
  const rooms: string[] = [];
  for (let i = 0; i < 12; i++) {
    const roomId = await createRoom(alice, { preset: 'public_chat', name: `Room ${i}` });
    await join(bob, roomId);
    const said = await talk(bob, roomId, 12, `room ${i}`);
    await readUpTo(alice, roomId, said[5]!);
    rooms.push(roomId);
  }
  const few = rooms.slice(0, 2);

  // Where the rooms were written: recent events in memory, but nothing the sync reads cached yet.
  const warmFew = await statements(s.hs, () => sync(alice, onlyRooms(few)));
  const warmMany = await statements(s.hs, () => sync(alice, onlyRooms(rooms.slice(2))));

  const coldly = async (wanted: readonly string[], after: Homeserver): Promise<{ n: number; hs: Homeserver; user: TestUser }> => {
    const server = await restart(t, s, after);
    const user = server.as(alice);
    return { n: await statements(server.hs, () => sync(user, onlyRooms(wanted))), hs: server.hs, user };
  };
  const coldFew = await coldly(few, s.hs);
  const coldMany = await coldly(rooms, coldFew.hs);
  t.log({ warmFew, warmMany, coldFew: coldFew.n, coldMany: coldMany.n });
  // A step's batch can split in two when rooms reach it at different moments: a few, not one per room.
  t.true(warmMany <= warmFew + 5, `in-process: ${warmFew} statements for 2 rooms, ${warmMany} for 10`);
  t.true(coldMany.n <= coldFew.n + 5, `after a restart: ${coldFew.n} statements for 2 rooms, ${coldMany.n} for 12`);
  // And the rooms are all there, each with its gap and its unread messages.
  const body = await sync(coldMany.user, onlyRooms(rooms));
  t.is(Object.keys(body.rooms.join).length, 12);
  for (const roomId of rooms) {
    t.true(body.rooms.join[roomId].timeline.limited);
    t.is(body.rooms.join[roomId].unread_notifications.notification_count, 6);
  }
});
