import type { ExecutionContext } from 'ava';
import { startHomeserver, type Homeserver } from '../../src/homeserver.js';
import { registerUser, txn, type TestUser } from '../helpers/client.js';
import { requestJson, startTestServer, type TestServer } from '../helpers/server.js';

export const open = { HS_OPEN_REGISTRATION: '1', HS_RATE_LIMIT_REGISTER_BURST: '1000' };
const r = (roomId: string) => `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}`;

export async function sync(user: TestUser, params: Record<string, string> = {}): Promise<any> {
  const res = await user.call('GET', `/_matrix/client/v3/sync?${new URLSearchParams(params)}`);
  if (res.status !== 200) throw new Error(`sync: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

async function ok(res: Promise<{ status: number; body: any }>, what: string): Promise<any> {
  const done = await res;
  if (done.status !== 200) throw new Error(`${what}: ${done.status} ${JSON.stringify(done.body)}`);
  return done.body;
}

export const createRoom = async (user: TestUser, body: Record<string, unknown> = {}): Promise<string> =>
  (await ok(user.call('POST', '/_matrix/client/v3/createRoom', body), 'createRoom')).room_id as string;
export const join = (user: TestUser, roomId: string): Promise<unknown> => ok(user.call('POST', `${r(roomId)}/join`, {}), 'join');
export const leave = (user: TestUser, roomId: string): Promise<unknown> => ok(user.call('POST', `${r(roomId)}/leave`, {}), 'leave');
export const invite = (user: TestUser, roomId: string, who: TestUser): Promise<unknown> => ok(user.call('POST', `${r(roomId)}/invite`, { user_id: who.userId }), 'invite');
export const send = async (user: TestUser, roomId: string, content: Record<string, unknown>, type = 'm.room.message'): Promise<string> =>
  (await ok(user.call('PUT', `${r(roomId)}/send/${type}/${txn()}`, content), 'send')).event_id as string;
export const setState = (user: TestUser, roomId: string, type: string, content: Record<string, unknown>): Promise<unknown> => ok(user.call('PUT', `${r(roomId)}/state/${type}/`, content), 'state');
export const say = (user: TestUser, roomId: string, body: string): Promise<string> => send(user, roomId, { msgtype: 'm.text', body });
export const readUpTo = (user: TestUser, roomId: string, eventId: string): Promise<unknown> => ok(user.call('POST', `${r(roomId)}/receipt/m.read/${encodeURIComponent(eventId)}`, {}), 'receipt');

/** Sends `n` numbered messages one after the other; answers their event IDs. */
export async function talk(user: TestUser, roomId: string, n: number, prefix: string): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push(await say(user, roomId, `${prefix} ${i}`));
  return ids;
}

export interface Cast {
  alice: TestUser;
  bob: TestUser;
  others: TestUser[];
}

export async function cast(s: TestServer): Promise<Cast> {
  const [alice, bob, ...others] = await Promise.all(['alice', 'bob', 'carol', 'dan', 'erin', 'frank', 'gina', 'hank', 'ivan'].map((name) => registerUser(s, name)));
  return { alice: alice!, bob: bob!, others };
}

/** What each room of the mix is for, by name; the IDs of events the tests look for. */
export interface Mix {
  rooms: Record<'quiet' | 'busy' | 'mention' | 'crowd' | 'secret' | 'edited' | 'left' | 'invited', string>;
  events: { busyRead: string; secretBefore: string[]; redacted: string };
}

/**
 * Alice's rooms, each a different thing for a sync to get right (none shows exactly ten events:
 * a timeline read from the database calls that many limited, one read from memory does not): a short history (no gap), a long
 * one (limited) read part of the way, a mention (a highlight), many members (heroes, invited
 * count), history hidden from before her join, an edit and a redaction, a room she left and one
 * she is invited to.
 */
export async function aliceRooms(c: Cast): Promise<Mix> {
  const { alice, bob, others } = c;
  const quiet = await createRoom(alice, { name: 'Quiet', topic: 'Nothing much' });
  await talk(alice, quiet, 1, 'quiet');

  const busy = await createRoom(alice, { preset: 'public_chat', name: 'Busy' });
  await join(bob, busy);
  const busyIds = await talk(bob, busy, 14, 'busy');
  const busyRead = busyIds[3]!;
  await readUpTo(alice, busy, busyRead);

  const mention = await createRoom(bob, { preset: 'public_chat' });
  await join(alice, mention);
  await send(bob, mention, { msgtype: 'm.text', body: 'alice, look', 'm.mentions': { user_ids: [alice.userId] } });
  await say(bob, mention, 'no mention here');

  const crowd = await createRoom(alice, { preset: 'public_chat', name: 'Crowd' });
  for (const u of [bob, ...others.slice(0, 5)]) await join(u, crowd);
  await invite(alice, crowd, others[5]!);
  await join(others[6]!, crowd);
  await leave(others[6]!, crowd);
  for (const u of [bob, others[0]!, others[2]!]) await say(u, crowd, `hello from ${u.userId}`);

  const secret = await createRoom(bob, { preset: 'public_chat', initial_state: [{ type: 'm.room.history_visibility', state_key: '', content: { history_visibility: 'joined' } }] });
  const secretBefore = await talk(bob, secret, 3, 'before alice');
  await join(alice, secret);
  await say(bob, secret, 'after alice');

  const edited = await createRoom(alice, { preset: 'public_chat' });
  await join(bob, edited);
  const original = await say(bob, edited, 'frist');
  await send(bob, edited, { msgtype: 'm.text', body: '* first', 'm.new_content': { msgtype: 'm.text', body: 'first' }, 'm.relates_to': { rel_type: 'm.replace', event_id: original } });
  const redacted = await say(bob, edited, 'oops');
  await ok(bob.call('PUT', `${r(edited)}/redact/${encodeURIComponent(redacted)}/${txn()}`, { reason: 'typo' }), 'redact');

  const left = await createRoom(bob, { preset: 'public_chat', name: 'Left behind' });
  await join(alice, left);
  await talk(bob, left, 2, 'left');
  await leave(alice, left);
  await say(bob, left, 'after alice left');

  const invited = await createRoom(bob, { name: 'Come in' });
  await invite(bob, invited, alice);

  return { rooms: { quiet, busy, mention, crowd, secret, edited, left, invited }, events: { busyRead, secretBefore, redacted } };
}

/** The bodies of a room's timeline messages, oldest first. */
export const bodies = (room: any): string[] => (room?.timeline?.events ?? []).filter((e: any) => e.type === 'm.room.message').map((e: any) => e.content.body);

/** A response with what changes from one moment to the next (ages) taken out. */
export function timeless(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(timeless);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([k]) => k !== 'age' && k !== 'last_active_ago')
        .map(([k, v]) => [k, timeless(v)]),
    );
  }
  return value;
}

export type RoomSections = Record<'join' | 'invite' | 'leave' | 'knock', Record<string, any>>;

/** The rooms sections of a response, by room ID, without the ages. */
export function roomsOf(body: any): RoomSections {
  return timeless({ join: body.rooms.join, invite: body.rooms.invite, leave: body.rooms.leave, knock: body.rooms.knock }) as RoomSections;
}

/**
 * The same server started again on its database: every cache is empty and nothing is in memory,
 * as for the first sync after a restart. Users keep their access tokens.
 */
export async function restart(t: ExecutionContext, s: TestServer, hs: Homeserver = s.hs): Promise<{ hs: Homeserver; as: (user: TestUser) => TestUser }> {
  await hs.stop();
  const next = await startHomeserver(s.hs.config);
  t.teardown(() => next.stop());
  return {
    hs: next,
    as: (user) => ({ ...user, call: (method, path, body) => requestJson(next.url, method, path, body, { Authorization: `Bearer ${user.accessToken}` }) }),
  };
}

export const startServer = (t: ExecutionContext): Promise<TestServer> => startTestServer(t, open);

/** A kind of request a client makes, each with its own way of choosing what a room shows. */
export interface Variant {
  name: string;
  params: Record<string, string>;
  filter: Record<string, any>;
}

/**
 * For each variant: every room of one sync of all `rooms` equals the sync of that room alone.
 * Both run on a freshly restarted server, so neither reads what the other cached: the rooms
 * alone, one at a time, are the reference; all at once, every read goes to the database in
 * batches. `params` go with every request (a `since`).
 */
export async function assertEachAsAlone(t: ExecutionContext, s: TestServer, user: TestUser, rooms: readonly string[], variants: readonly Variant[], params: Record<string, string> = {}): Promise<void> {
  let server = await restart(t, s);
  const expected = new Map<string, RoomSections>();
  for (const variant of variants) {
    for (const roomId of rooms) {
      const filter = JSON.stringify({ ...variant.filter, room: { ...variant.filter.room, rooms: [roomId] } });
      expected.set(`${variant.name} ${roomId}`, roomsOf(await sync(server.as(user), { ...params, ...variant.params, filter })));
    }
  }
  for (const variant of variants) {
    server = await restart(t, s, server.hs);
    const all = roomsOf(await sync(server.as(user), { ...params, ...variant.params, filter: JSON.stringify(variant.filter) }));
    let compared = 0;
    for (const roomId of rooms) {
      const one = expected.get(`${variant.name} ${roomId}`)!;
      for (const section of ['join', 'invite', 'leave', 'knock'] as const) {
        t.deepEqual(all[section][roomId], one[section][roomId], `${variant.name}: ${section} ${roomId}`);
        if (one[section][roomId] !== undefined) compared++;
      }
    }
    t.true(compared >= 7, `${variant.name}: ${compared} rooms compared`);
  }
}
