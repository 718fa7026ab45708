import WebSocket from 'ws';
import { LeanConnection } from './lean-http.js';

/** A member syncing in the fan-out bench: when each numbered message first reached it. */
export interface Receiver {
  got: Map<number, number>;
  /** Called with each message number the first time it arrives. */
  onMessage?: (n: number) => void;
  duplicates: number;
  bytes: number;
  frames: number;
  stop(): void;
}

export type Transport = 'longpoll' | 'websocket';

export const FANOUT_FILTER = JSON.stringify({ room: { timeline: { limit: 500 } }, presence: { types: [] } });

function collect(r: Receiver, body: any, roomId: string): void {
  const now = performance.now();
  for (const e of body?.rooms?.join?.[roomId]?.timeline?.events ?? []) {
    const n = e.content?.n;
    if (typeof n !== 'number') continue;
    if (r.got.has(n)) r.duplicates++;
    else {
      r.got.set(n, now);
      r.onMessage?.(n);
    }
  }
}

function longPoll(base: string, token: string, roomId: string, since: string): Receiver {
  const url = new URL(base);
  let conn = new LeanConnection(url.hostname, Number(url.port));
  let running = true;
  const stop = (): void => {
    running = false;
    conn.close();
  };
  const r: Receiver = { got: new Map(), duplicates: 0, bytes: 0, frames: 0, stop };
  void (async () => {
    let batch = since;
    while (running) {
      try {
        if (!conn.usable) conn = new LeanConnection(url.hostname, Number(url.port));
        const { status, text } = await conn.get(`/_matrix/client/v3/sync?since=${batch}&timeout=30000&filter=${encodeURIComponent(FANOUT_FILTER)}`, { authorization: `Bearer ${token}` });
        if (status !== 200) throw new Error(`sync: ${status} ${text}`);
        const body = JSON.parse(text);
        r.frames++;
        r.bytes += text.length;
        collect(r, body, roomId);
        batch = body.next_batch;
      } catch {
        if (running) await new Promise((res) => setTimeout(res, 100));
      }
    }
  })();
  return r;
}

async function webSocket(base: string, token: string, roomId: string, since: string): Promise<Receiver> {
  const ws = new WebSocket(`${base.replace('http', 'ws')}/_matrix/client/unstable/org.hearth.ws/sync`, { headers: { authorization: `Bearer ${token}` } });
  const r: Receiver = { got: new Map(), duplicates: 0, bytes: 0, frames: 0, stop: () => ws.close() };
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  ws.on('message', (data) => {
    const text = String(data);
    r.bytes += text.length;
    r.frames++;
    collect(r, JSON.parse(text), roomId);
  });
  ws.send(JSON.stringify({ since, filter: JSON.parse(FANOUT_FILTER) }));
  return r;
}

/** A receiver syncing from `since` as one member, over long-poll or the WebSocket. */
export async function startReceiver(transport: Transport, base: string, token: string, roomId: string, since: string): Promise<Receiver> {
  return transport === 'websocket' ? webSocket(base, token, roomId, since) : longPoll(base, token, roomId, since);
}
