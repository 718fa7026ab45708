import test from 'ava';
import type { WebSocket } from 'ws';
import { FrameOutbox } from '../../src/components/sync/ws-outbox.js';

/** What the outbox uses of a ws WebSocket: its state, sends and buffered bytes. */
function socket(name: string, log: string[], state = 1, buffered = 0): WebSocket {
  return { OPEN: 1, readyState: state, bufferedAmount: buffered, send: (text: string) => log.push(`${name}:${text}`) } as unknown as WebSocket;
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

test('frames go out together at the end of the turn, each socket in its order, closed sockets skipped', async (t) => {
  const log: string[] = [];
  const slow: string[] = [];
  const box = new FrameOutbox(1000, () => slow.push('x'));
  const [a, b, gone] = [socket('a', log), socket('b', log), socket('gone', log, 3)];
  box.add(a, '1');
  box.add(b, '1');
  box.add(gone, '1');
  box.add(a, '2');
  t.true(box.holds(a));
  t.deepEqual(log, [], 'nothing is written during the turn');
  await turn();
  t.deepEqual(log, ['a:1', 'b:1', 'a:2']);
  t.false(box.holds(a));
  t.deepEqual(slow, []);
});

test('a socket with too much queued is handed to the too-slow handler', async (t) => {
  const log: string[] = [];
  const slow: WebSocket[] = [];
  const box = new FrameOutbox(100, (ws) => slow.push(ws));
  const full = socket('full', log, 1, 500);
  box.add(full, 'x');
  box.add(socket('ok', log), 'y');
  await turn();
  t.deepEqual(slow, [full]);
  t.deepEqual(log, ['full:x', 'ok:y']);
});

test('a socket whose send throws is dropped, and the others of the turn still get their frames', async (t) => {
  const log: string[] = [];
  const box = new FrameOutbox(1000, () => undefined);
  let terminated = false;
  const broken = {
    OPEN: 1,
    readyState: 1,
    bufferedAmount: 0,
    send: () => {
      throw new Error('socket gone');
    },
    terminate: () => (terminated = true),
  } as unknown as WebSocket;
  box.add(socket('a', log), '1');
  box.add(broken, 'x');
  box.add(socket('b', log), '2');
  await turn();
  t.deepEqual(log, ['a:1', 'b:2']);
  t.true(terminated);
});
