import test from 'ava';
import WebSocket from 'ws';
import { MatrixApi, newTxnId } from '../src/matrix/api.js';
import { HttpClient } from '../src/matrix/http.js';
import { applySync, emptySyncState, type SyncState } from '../src/matrix/sync/accumulator.js';
import { LongPollTransport } from '../src/matrix/sync/longpoll.js';
import { SyncLoop } from '../src/matrix/sync/loop.js';
import { WebSocketTransport, type WebSocketLike } from '../src/matrix/sync/websocket.js';
import type { SyncTransport } from '../src/matrix/sync/transport.js';
import { startServer } from './helpers.js';

/** The protocol layer against a real Hearth, in Node: no browser needed to trust the transports. */

async function account(url: string, name: string): Promise<{ api: MatrixApi; userId: string; token: string }> {
  const anon = new MatrixApi(new HttpClient({ baseUrl: url }));
  const res = await anon.register({ username: name, password: 'correct horse battery' });
  return { api: new MatrixApi(new HttpClient({ baseUrl: url, accessToken: res.access_token })), userId: res.user_id, token: res.access_token };
}

async function syncUntil(transports: SyncTransport[], userId: string, done: (s: SyncState) => boolean): Promise<{ state: SyncState; kinds: Set<string> }> {
  let state = emptySyncState();
  const kinds = new Set<string>();
  let loop: SyncLoop | undefined;
  const finished = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('sync never got there')), 20_000);
    loop = new SyncLoop({
      transports,
      since: () => state.nextBatch,
      onSync: (res) => {
        state = applySync(state, res, userId).state;
        if (done(state)) {
          clearTimeout(timer);
          resolve();
        }
        return Promise.resolve();
      },
      onStatus: (status, kind) => status === 'live' && kind && kinds.add(kind),
    });
    void loop.start();
  });
  try {
    await finished;
  } finally {
    loop?.stop();
  }
  return { state, kinds };
}

for (const kind of ['websocket', 'longpoll'] as const) {
  test(`${kind} sync follows a conversation with a real server`, async (t) => {
    const server = await startServer(t);
    const alice = await account(server.url, `alice${kind}`);
    const bob = await account(server.url, `bob${kind}`);
    const { room_id } = await alice.api.createRoom({ preset: 'private_chat', invite: [bob.userId], name: 'Protocol' });
    await bob.api.join(room_id);
    await alice.api.send(room_id, 'm.room.message', newTxnId(), { msgtype: 'm.text', body: 'one' });
    const transports: SyncTransport[] =
      kind === 'websocket' ? [new WebSocketTransport(server.url, bob.token, (url) => new WebSocket(url) as unknown as WebSocketLike)] : [new LongPollTransport(bob.api, 5_000)];
    const later = setTimeout(() => void alice.api.send(room_id, 'm.room.message', newTxnId(), { msgtype: 'm.text', body: 'two' }), 500);
    t.teardown(() => clearTimeout(later));
    const { state, kinds } = await syncUntil(transports, bob.userId, (s) => s.rooms[room_id]?.timeline.some((e) => e.content.body === 'two') ?? false);
    const bodies = state.rooms[room_id]!.timeline.filter((e) => e.type === 'm.room.message').map((e) => e.content.body);
    t.deepEqual(bodies, ['one', 'two']);
    t.deepEqual([...kinds], [kind]);
    t.is(state.rooms[room_id]!.state['m.room.name']?.['']?.content.name, 'Protocol');
  });
}

test('a refused WebSocket falls back to long-polling', async (t) => {
  const server = await startServer(t);
  const me = await account(server.url, 'carol');
  const { room_id } = await me.api.createRoom({ preset: 'private_chat', name: 'Fallback' });
  // A server without the WebSocket endpoint answers the upgrade with 404.
  const ws = new WebSocketTransport(server.url.replace(/\/$/, '') + '/nowhere', me.token, (url) => new WebSocket(url) as unknown as WebSocketLike);
  const { kinds } = await syncUntil([ws, new LongPollTransport(me.api, 5_000)], me.userId, (s) => s.rooms[room_id] !== undefined);
  t.deepEqual([...kinds], ['longpoll']);
});
