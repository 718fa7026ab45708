import test from 'ava';
import WebSocket from 'ws';
import { registerUser, txn, type TestUser } from '../helpers/client.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { aliceAndBobInRoom } from './support.js';

const open = { HS_OPEN_REGISTRATION: '1', HS_RATE_LIMIT_REGISTER_BURST: '100' };
const r = (roomId: string) => `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}`;
const WS_PATH = '/_matrix/client/unstable/org.hearth.ws/sync';
/** Large enough that no timeline is cut short: both transports then carry every event. */
const BIG = { room: { timeline: { limit: 200 } } };

function connect(s: TestServer, headers: Record<string, string> = {}): { ws: WebSocket; messages: any[]; next(timeoutMs?: number): Promise<any>; closed: Promise<{ code: number; reason: string }> } {
  const ws = new WebSocket(`${s.url.replace('http', 'ws')}${WS_PATH}`, { headers });
  const messages: any[] = [];
  const waiting: Array<(m: any) => void> = [];
  ws.on('message', (data) => {
    const m = JSON.parse(String(data));
    const w = waiting.shift();
    if (w) w(m);
    else messages.push(m);
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })));
  return {
    ws,
    messages,
    closed,
    next: (timeoutMs = 10_000) =>
      new Promise((resolve, reject) => {
        if (messages.length > 0) return resolve(messages.shift());
        const timer = setTimeout(() => reject(new Error('no message')), timeoutMs);
        waiting.push((m) => {
          clearTimeout(timer);
          resolve(m);
        });
      }),
  };
}

const opened = (ws: WebSocket) => new Promise<void>((resolve, reject) => (ws.readyState === ws.OPEN ? resolve() : (ws.once('open', () => resolve()), ws.once('error', reject))));

async function longPollSequence(user: TestUser, since: string, until: (ids: string[]) => boolean): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < 100 && !until(ids); i++) {
    const res = await user.call('GET', `/_matrix/client/v3/sync?since=${since}&timeout=5000&filter=${encodeURIComponent(JSON.stringify(BIG))}`);
    for (const room of Object.values<any>(res.body.rooms.join)) {
      for (const e of room.timeline.events) ids.push(e.event_id);
      for (const e of room.ephemeral.events) ids.push(`${e.type}:${JSON.stringify(e.content)}`);
    }
    since = res.body.next_batch;
  }
  return ids;
}

test('WebSocket sync delivers the same sequence of changes as long-poll', async (t) => {
  const { s, alice, bob, room } = await aliceAndBobInRoom(t, open);
  const since = (await bob.call('GET', '/_matrix/client/v3/sync')).body.next_batch;

  const c = connect(s, { Authorization: `Bearer ${bob.accessToken}` });
  await opened(c.ws);
  c.ws.send(JSON.stringify({ since, filter: BIG }));
  const firstFrame = await c.next();
  t.is(typeof firstFrame.next_batch, 'string');

  const sent: string[] = [];
  for (let i = 0; i < 40; i++) {
    sent.push((await alice.call('PUT', `${r(room)}/send/m.room.message/${txn()}`, { msgtype: 'm.text', body: `w${i}` })).body.event_id);
    if (i === 10) await alice.call('PUT', `${r(room)}/typing/${encodeURIComponent(alice.userId)}`, { typing: true, timeout: 30000 });
    if (i === 20) await alice.call('PUT', `${r(room)}/typing/${encodeURIComponent(alice.userId)}`, { typing: false });
  }
  const wsIds: string[] = [];
  const wsTyping: string[] = [];
  const deadline = Date.now() + 30_000;
  for (const m of [firstFrame]) for (const room2 of Object.values<any>(m.rooms.join)) for (const e of room2.timeline.events) wsIds.push(e.event_id);
  while (sent.some((id) => !wsIds.includes(id)) && Date.now() < deadline) {
    const m = await c.next();
    t.is(typeof m.next_batch, 'string');
    for (const room2 of Object.values<any>(m.rooms.join)) {
      for (const e of room2.timeline.events) wsIds.push(e.event_id);
      for (const e of room2.ephemeral.events) if (e.type === 'm.typing') wsTyping.push(JSON.stringify(e.content.user_ids));
    }
  }
  const pollAll = await longPollSequence(bob, since, (ids) => sent.every((id) => ids.includes(id)));
  const pollIds = pollAll.filter((x) => x.startsWith('$'));
  // Both saw alice start typing and stop (a transport may merge the two into the final state).
  t.true(wsTyping.includes(JSON.stringify([])));
  t.true(pollAll.some((x) => x.startsWith('m.typing:')));
  t.deepEqual(wsIds, sent, 'WebSocket: every message once, in order');
  t.deepEqual(pollIds, sent, 'long-poll: the same');
  c.ws.close();
});

test('WebSocket sync: the token may come in the first message; bad tokens are closed with 4001', async (t) => {
  const s = await startTestServer(t, open);
  const alice = await registerUser(s, 'alice');
  const room = (await alice.call('POST', '/_matrix/client/v3/createRoom', {})).body.room_id;
  const c = connect(s);
  await opened(c.ws);
  c.ws.send(JSON.stringify({ access_token: alice.accessToken }));
  const first = await c.next();
  t.truthy(first.rooms.join[room], 'a first frame without since is an initial sync');
  const sent = (await alice.call('PUT', `${r(room)}/send/m.room.message/${txn()}`, { msgtype: 'm.text', body: 'live' })).body.event_id;
  const pushed = await c.next();
  t.deepEqual(pushed.rooms.join[room].timeline.events.map((e: any) => e.event_id), [sent]);
  c.ws.close();

  const bad = connect(s);
  await opened(bad.ws);
  bad.ws.send(JSON.stringify({ access_token: 'nonsense' }));
  const closed = await bad.closed;
  t.is(closed.code, 4001);
  t.regex(closed.reason, /M_UNKNOWN_TOKEN/);

  const none = connect(s);
  await opened(none.ws);
  none.ws.send(JSON.stringify({}));
  t.is((await none.closed).code, 4001);

  const garbage = connect(s, { Authorization: `Bearer ${alice.accessToken}` });
  await opened(garbage.ws);
  garbage.ws.send('not json');
  t.is((await garbage.closed).code, 4000);
});

test('WebSocket sync drops a client that does not read, with close code 4008', async (t) => {
  const s = await startTestServer(t, { ...open, HS_WS_MAX_BUFFERED_BYTES: '65536' });
  const alice = await registerUser(s, 'alice');
  const room = (await alice.call('POST', '/_matrix/client/v3/createRoom', {})).body.room_id;
  const c = connect(s, { Authorization: `Bearer ${alice.accessToken}` });
  await opened(c.ws);
  c.ws.send(JSON.stringify({}));
  await c.next();
  // Stop reading from the socket: the server's queue for this client grows.
  (c.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();
  const big = 'x'.repeat(60_000);
  let closedEarly = false;
  void c.closed.then(() => (closedEarly = true));
  for (let i = 0; i < 200 && !closedEarly; i++) {
    await alice.call('PUT', `${r(room)}/send/m.room.message/${txn()}`, { msgtype: 'm.text', body: big });
    if (i % 20 === 19) {
      // Give the server a moment to try to push.
      await new Promise((resolve) => setTimeout(resolve, 50));
      const sock = (c.ws as unknown as { _socket: { readableLength: number } })._socket;
      if (sock.readableLength > 0 && i > 150) break;
    }
  }
  (c.ws as unknown as { _socket: { resume(): void } })._socket.resume();
  const closed = await c.closed;
  t.is(closed.code, 4008);
});

test('a wave of hundreds of woken connections: each gets every message once, in order', async (t) => {
  const { s, alice, bob, room } = await aliceAndBobInRoom(t, open);
  const since = (await bob.call('GET', '/_matrix/client/v3/sync')).body.next_batch;
  // More than the woken syncs that make a wave (sync/index.ts), so their frames go out in turns.
  const conns = Array.from({ length: 320 }, () => connect(s, { Authorization: `Bearer ${bob.accessToken}` }));
  t.teardown(() => conns.forEach((c) => c.ws.close()));
  await Promise.all(conns.map((c) => opened(c.ws)));
  for (const c of conns) c.ws.send(JSON.stringify({ since, filter: BIG }));
  await Promise.all(conns.map((c) => c.next()));

  const sent: string[] = [];
  for (let i = 0; i < 4; i++) sent.push((await alice.call('PUT', `${r(room)}/send/m.room.message/${txn()}`, { msgtype: 'm.text', body: `wave ${i}` })).body.event_id);
  const seen = await Promise.all(
    conns.map(async (c) => {
      const ids: string[] = [];
      while (ids.length < sent.length) {
        const m = await c.next(20_000);
        for (const joined of Object.values<any>(m.rooms.join)) for (const e of joined.timeline.events) ids.push(e.event_id);
      }
      return ids;
    }),
  );
  for (const ids of seen) t.deepEqual(ids, sent);
  // Nothing more came: no frame was sent twice.
  await new Promise((resolve) => setTimeout(resolve, 300));
  t.deepEqual(conns.flatMap((c) => c.messages), []);
});
