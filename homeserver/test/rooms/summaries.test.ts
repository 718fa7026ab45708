import test from 'ava';
import { startHomeserver } from '../../src/homeserver.js';
import { createRoom, enc, join, registerAdmin, registerUser, setState, startRoomsServer } from './support.js';

test('room summaries: missing or stale rows are rebuilt at start, and the directories read them', async (t) => {
  const s = await startRoomsServer(t);
  const [alice, bob] = await Promise.all([registerUser(s, 'alice'), registerUser(s, 'bob')]);
  const pub = await createRoom(alice, { visibility: 'public', preset: 'public_chat', name: 'Before' });
  await join(bob, pub);
  const other = await createRoom(bob, { name: 'Other' });
  await setState(alice, pub, 'm.room.name', { name: 'After' });
  await s.hs.stop();

  // As after a crash between a commit and its refresh, or rooms made before the table existed.
  const database = s.database.open();
  try {
    await database.db('room_summaries').where('room_id', other).delete();
    await database.db('room_summaries').where('room_id', pub).update({ name: 'Stale', joined_members: 1, state_group: 1 });
  } finally {
    await database.close();
  }

  const hs = await startHomeserver(s.hs.config);
  t.teardown(() => hs.stop());
  const call = async (method: string, path: string, token?: string) => {
    const res = await fetch(`${hs.url}${path}`, { method, headers: token ? { Authorization: `Bearer ${token}` } : {} });
    return { status: res.status, body: (await res.json()) as any };
  };
  const listed = await call('GET', '/_matrix/client/v3/publicRooms');
  t.is(listed.status, 200);
  t.like(listed.body.chunk[0], { room_id: pub, name: 'After', num_joined_members: 2 });
  const admin = await registerAdmin({ ...s, url: hs.url, request: (m, p, b, h) => fetchJson(hs.url, m, p, b, h) }, 'root');
  const details = await call('GET', `/_synapse/admin/v1/rooms/${enc(other)}`, admin.accessToken);
  t.is(details.status, 200);
  t.like(details.body, { room_id: other, name: 'Other', joined_members: 1, creator: bob.userId });
});

async function fetchJson(base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as any) : undefined, headers: res.headers };
}
