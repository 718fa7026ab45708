import test from 'ava';
import WebSocket from 'ws';
import { registerUser, txn, type TestUser } from '../helpers/client.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { aliceAndBobInRoom } from './support.js';

const open = { HS_OPEN_REGISTRATION: '1', HS_RATE_LIMIT_REGISTER_BURST: '100', HS_RATE_LIMIT_LOGIN_BURST: '100' };
const r = (roomId: string) => `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}`;
const WS_PATH = '/_matrix/client/unstable/org.hearth.ws/sync';
const FILTER = { room: { timeline: { limit: 50 } } };

/** A WebSocket sync from `since`, collecting what each frame says of `roomId`. */
async function follow(s: TestServer, token: string, since: string, roomId: string) {
  const ws = new WebSocket(`${s.url.replace('http', 'ws')}${WS_PATH}`, { headers: { Authorization: `Bearer ${token}` } });
  const events: any[] = [];
  const counts: any[] = [];
  ws.on('message', (data) => {
    const room = JSON.parse(String(data)).rooms?.join?.[roomId];
    if (!room) return;
    events.push(...room.timeline.events);
    counts.push(room.unread_notifications);
  });
  await new Promise<void>((resolve, reject) => (ws.once('open', () => resolve()), ws.once('error', reject)));
  ws.send(JSON.stringify({ since, filter: FILTER }));
  return { ws, events, counts };
}

async function until(check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check() && Date.now() < deadline) await new Promise((res) => setTimeout(res, 20));
}

async function login(s: TestServer, user: TestUser): Promise<{ token: string; deviceId: string }> {
  const res = await s.request('POST', '/_matrix/client/v3/login', {
    type: 'm.login.password',
    identifier: { type: 'm.id.user', user: user.userId },
    password: 'correct horse battery staple',
  });
  return { token: res.body.access_token, deviceId: res.body.device_id };
}

test('one message to many syncing members: each gets it once, with only what is theirs', async (t) => {
  const s = await startTestServer(t, open);
  const alice = await registerUser(s, 'alice');
  const others = [await registerUser(s, 'bob'), await registerUser(s, 'carol'), await registerUser(s, 'dan')];
  const room = (await alice.call('POST', '/_matrix/client/v3/createRoom', { preset: 'public_chat' })).body.room_id;
  for (const u of others) await u.call('POST', `${r(room)}/join`, {});
  const second = await login(s, alice);
  const tokens = [alice.accessToken, second.token, ...others.map((u) => u.accessToken)];
  const since = await Promise.all(tokens.map(async (token) => (await s.request('GET', '/_matrix/client/v3/sync', undefined, { Authorization: `Bearer ${token}` })).body.next_batch as string));
  const conns = await Promise.all(tokens.map((token, i) => follow(s, token, since[i]!, room)));

  const id = txn();
  const plain = (await alice.call('PUT', `${r(room)}/send/m.room.message/${id}`, { msgtype: 'm.text', body: 'hello all' })).body.event_id;
  const mention = (await alice.call('PUT', `${r(room)}/send/m.room.message/${txn()}`, { msgtype: 'm.text', body: 'hi bob', 'm.mentions': { user_ids: [others[0]!.userId] } })).body.event_id;
  await until(() => conns.every((c) => c.events.some((e) => e.event_id === mention)));

  const [sendingDevice, otherDevice, bob, carol] = conns;
  for (const c of conns) {
    t.deepEqual(
      c.events.map((e) => e.event_id),
      [plain, mention],
      'every member gets each message once, in order',
    );
    for (const e of c.events) t.true(typeof e.unsigned.age === 'number' && e.unsigned.age >= 0);
  }
  t.is(sendingDevice!.events[0].unsigned.transaction_id, id, 'the sending device sees its transaction ID');
  t.false('transaction_id' in otherDevice!.events[0].unsigned, 'the sender’s other device does not');
  t.false('transaction_id' in bob!.events[0].unsigned, 'nor does anyone else');
  t.deepEqual(bob!.events[1].content, { msgtype: 'm.text', body: 'hi bob', 'm.mentions': { user_ids: [others[0]!.userId] } });
  // Counts are each member's own: the mention highlights for bob only; alice's own messages count for no one of hers.
  t.deepEqual(bob!.counts.at(-1), { notification_count: 2, highlight_count: 1 });
  t.deepEqual(carol!.counts.at(-1), { notification_count: 2, highlight_count: 0 });
  t.deepEqual(sendingDevice!.counts.at(-1), { notification_count: 0, highlight_count: 0 });
  for (const c of conns) c.ws.close();
});

test('long-poll: a sync woken by a message carries it, once, with the sender’s transaction ID only for the sender', async (t) => {
  const { alice, bob, room } = await aliceAndBobInRoom(t, open);
  const filter = encodeURIComponent(JSON.stringify(FILTER));
  const sinces = await Promise.all([alice, bob].map(async (u) => (await u.call('GET', `/_matrix/client/v3/sync?filter=${filter}`)).body.next_batch as string));
  /** Set once the message is sent: the polls started before that. */
  const target: { id?: string } = {};
  /** Long-polls until the message has come (other news may come first), collecting the room's events. */
  const poll = async (u: TestUser, since: string) => {
    const events: any[] = [];
    let counts: unknown;
    for (let i = 0; i < 10 && !(target.id && events.some((e) => e.event_id === target.id)); i++) {
      const res = await u.call('GET', `/_matrix/client/v3/sync?since=${since}&timeout=10000&filter=${filter}`);
      t.true(res.headers.get('content-type')?.startsWith('application/json'));
      const joined = res.body.rooms.join[room];
      if (joined) {
        events.push(...joined.timeline.events);
        counts = joined.unread_notifications;
      }
      since = res.body.next_batch;
    }
    return { events, counts };
  };
  const polls = [poll(alice, sinces[0]!), poll(bob, sinces[1]!)];
  await new Promise((res) => setTimeout(res, 200));
  const id = txn();
  const sent = (target.id = (await alice.call('PUT', `${r(room)}/send/m.room.message/${id}`, { msgtype: 'm.text', body: 'wake up' })).body.event_id as string);
  const [mine, theirs] = await Promise.all(polls);
  t.deepEqual(mine!.events.map((e: any) => e.event_id), [sent]);
  t.deepEqual(theirs!.events.map((e: any) => e.event_id), [sent]);
  t.is(mine!.events[0].unsigned.transaction_id, id);
  t.false('transaction_id' in theirs!.events[0].unsigned);
  t.deepEqual(theirs!.counts, { notification_count: 1, highlight_count: 0 });
});
