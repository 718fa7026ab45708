import test from 'ava';
import { MatrixError } from '../src/matrix/errors';
import { SyncLoop, type SyncStatus } from '../src/matrix/sync/loop';
import { TransportUnavailable, type SyncTransport } from '../src/matrix/sync/transport';
import { WebSocketTransport, type WebSocketLike } from '../src/matrix/sync/websocket';
import type { SyncResponse } from '../src/matrix/types';

function scripted(kind: SyncTransport['kind'], script: Array<SyncResponse[] | Error>): SyncTransport & { sinces: Array<string | undefined> } {
  const sinces: Array<string | undefined> = [];
  return {
    kind,
    sinces,
    async run(since, onSync, signal) {
      sinces.push(since);
      const step = script.shift();
      if (!step) {
        await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
        return;
      }
      if (step instanceof Error) throw step;
      for (const r of step) await onSync(r);
      throw new Error('connection dropped');
    },
  };
}

test('falls back to long-poll when the WebSocket is unavailable, resuming from the last token', async (t) => {
  const ws = scripted('websocket', [new TransportUnavailable('no')]);
  const poll = scripted('longpoll', [[{ next_batch: 's1' }, { next_batch: 's2' }]]);
  let since: string | undefined;
  const statuses: Array<[SyncStatus, string | undefined]> = [];
  const loop = new SyncLoop({
    transports: [ws, poll],
    since: () => since,
    onSync: (r) => {
      since = r.next_batch;
      return Promise.resolve();
    },
    onStatus: (s, k) => statuses.push([s, k]),
    sleep: () => Promise.resolve(),
  });
  const done = loop.start();
  await new Promise((r) => setTimeout(r, 20));
  loop.stop();
  await done;
  t.deepEqual(poll.sinces, [undefined, 's2'], 'reconnects with the latest next_batch');
  t.is(since, 's2');
  t.deepEqual(statuses.find(([s]) => s === 'live'), ['live', 'longpoll']);
  t.deepEqual(statuses.at(-1), ['stopped', undefined]);
});

test('a refused token stops the loop and reports the sign-out', async (t) => {
  const poll = scripted('longpoll', [new MatrixError(401, 'M_UNKNOWN_TOKEN', 'gone')]);
  let out: MatrixError | undefined;
  await new SyncLoop({ transports: [poll], since: () => undefined, onSync: () => Promise.resolve(), onLoggedOut: (e) => (out = e) }).start();
  t.is(out?.errcode, 'M_UNKNOWN_TOKEN');
});

class FakeSocket implements WebSocketLike {
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  sent: unknown[] = [];
  constructor(readonly url: string) {}
  send(data: string): void {
    this.sent.push(JSON.parse(data));
  }
  close(code = 1000, reason = ''): void {
    this.onclose?.({ code, reason });
  }
}

test('WebSocket transport: starts with token and since, delivers in order, acknowledges', async (t) => {
  let socket: FakeSocket | undefined;
  const transport = new WebSocketTransport('https://hs.example', 'TOKEN', (url) => (socket = new FakeSocket(url)));
  const got: string[] = [];
  const controller = new AbortController();
  const running = transport.run('s0', async (r) => {
    await new Promise((res) => setTimeout(res, 5));
    got.push(r.next_batch);
  }, controller.signal);
  t.is(socket!.url, 'wss://hs.example/_matrix/client/unstable/org.hearth.ws/sync');
  socket!.onopen?.({});
  t.like(socket!.sent[0], { access_token: 'TOKEN', since: 's0' });
  socket!.onmessage?.({ data: JSON.stringify({ next_batch: 's1' }) });
  socket!.onmessage?.({ data: JSON.stringify({ next_batch: 's2' }) });
  // Delivery is asynchronous: wait for it (bounded) rather than for a guessed time.
  for (let i = 0; i < 200 && socket!.sent.length < 3; i++) await new Promise((res) => setTimeout(res, 10));
  t.deepEqual(got, ['s1', 's2']);
  t.deepEqual(socket!.sent.slice(1), [{ type: 'ack', since: 's1' }, { type: 'ack', since: 's2' }]);
  controller.abort();
  await running;
});

test('WebSocket transport: closing before any message means unavailable; 4001 is a refused token', async (t) => {
  let socket: FakeSocket | undefined;
  const transport = new WebSocketTransport('http://hs', 'T', (url) => (socket = new FakeSocket(url)));
  const first = transport.run(undefined, () => Promise.resolve(), new AbortController().signal);
  socket!.onclose?.({ code: 1006, reason: '' });
  await t.throwsAsync(first, { instanceOf: TransportUnavailable });
  const second = transport.run(undefined, () => Promise.resolve(), new AbortController().signal);
  socket!.onclose?.({ code: 4001, reason: JSON.stringify({ errcode: 'M_UNKNOWN_TOKEN', error: 'bad' }) });
  const err = await t.throwsAsync(second, { instanceOf: MatrixError });
  t.true(err!.isUnknownToken);
});
