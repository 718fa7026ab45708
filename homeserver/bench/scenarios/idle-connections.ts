import { readFileSync } from 'node:fs';
import WebSocket from 'ws';
import { api, percentile, round, type BenchUser } from '../lib/client.js';
import { JWT_ENV, jwtLogin } from '../lib/jwt.js';
import { pool } from '../lib/pool.js';
import { startBenchServer } from '../lib/server.js';
import { startTrivialServer } from '../lib/trivial.js';

const WS_PATH = '/_matrix/client/unstable/org.hearth.ws/sync';
const FILTER = { room: { timeline: { limit: 10 }, state: { lazy_load_members: true } } };

/** What the connections wait for, and the first whole frame that carried it. */
interface Watch {
  text?: string;
  frame?: string;
}

interface Conn {
  ws: WebSocket;
  /** When the frame carrying the awaited text arrived. */
  got?: number;
}

/** The open-files limit this process may raise itself to (Node raises its soft limit to this). */
function hardFileLimit(): number {
  const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
  const hard = line?.trim().split(/\s+/)[4];
  return hard === 'unlimited' ? Infinity : Number(hard);
}

/**
 * Opens `count` WebSockets to `url`, each sending `start(i)` and counting as open at its first
 * frame. Every later frame containing `watch.text` (once set) stamps the connection.
 */
async function openAll(url: string, count: number, headers: (i: number) => Record<string, string>, start: (i: number) => string, watch: Watch): Promise<Conn[]> {
  return pool(
    Array.from({ length: count }, (_, i) => i),
    200,
    (i) =>
      new Promise<Conn>((resolve, reject) => {
        const ws = new WebSocket(url, { headers: headers(i), perMessageDeflate: false });
        const c: Conn = { ws };
        let first = true;
        ws.on('message', (data) => {
          if (first) {
            first = false;
            return resolve(c);
          }
          // Substring search, not JSON.parse: the bench's own work per frame stays small.
          if (c.got !== undefined || watch.text === undefined) return;
          const text = String(data);
          if (!text.includes(watch.text)) return;
          c.got = performance.now();
          watch.frame ??= text;
        });
        ws.once('open', () => ws.send(start(i)));
        ws.once('error', reject);
        ws.once('close', (code, reason) => first && reject(new Error(`closed ${code} ${String(reason)}`)));
      }),
  );
}

async function waitAll(conns: Conn[], timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (conns.some((c) => c.got === undefined) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 5));
}

async function closeAll(conns: Conn[]): Promise<void> {
  await Promise.all(conns.map((c) => new Promise<void>((resolve) => {
    if (c.ws.readyState === WebSocket.CLOSED) return resolve();
    c.ws.once('close', () => resolve());
    c.ws.close();
  })));
}

const mb = (bytes: number): number => round(bytes / 1048576, 1);

/**
 * `connections` WebSocket syncs held open by `users` users with several devices each (the count
 * of connections is what matters), all in one room. Measures the server's RSS with them idle, then
 * sends one message to the room and times its arrival on every connection. The limit: a trivial
 * WebSocket server process holding as many connections and broadcasting the same frame.
 */
export async function idleConnections(o: { connections: number; users: number }): Promise<Record<string, unknown>> {
  const needed = o.connections + 1024;
  if (hardFileLimit() < needed) throw new Error(`idle-connections needs ${needed} open files; raise the hard limit (ulimit -Hn ${needed}, or LimitNOFILE) and retry`);
  const devices = Math.ceil(o.connections / o.users);
  const server = await startBenchServer({ ...JWT_ENV, HS_DATABASE_POOL_MAX: '20' });
  let conns: Conn[] = [];
  try {
    const base = server.url;
    const setupStart = performance.now();
    // Devices first, then joins: a new device is a device-list change for everyone sharing a room.
    const tokens: BenchUser[][] = await pool(
      Array.from({ length: o.users }, (_, u) => u),
      8,
      async (u) => {
        const mine: BenchUser[] = [];
        for (let d = 0; d < devices; d++) mine.push(await jwtLogin(base, `idle${u}`));
        return mine;
      },
    );
    const owner = tokens[0]![0]!;
    const { room_id: roomId } = await api(base, 'POST', '/_matrix/client/v3/createRoom', owner.token, { preset: 'public_chat', name: 'Everyone' });
    await pool(tokens.slice(1), 8, (mine) => api(base, 'POST', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/join`, mine[0]!.token, {}));
    // One sync per user, as each client's last session would have left it; its devices resume from there.
    const sinces: string[] = await pool(tokens, 8, async (mine) => (await api(base, 'GET', `/_matrix/client/v3/sync?timeout=0&filter=${encodeURIComponent(JSON.stringify(FILTER))}`, mine[0]!.token)).next_batch);
    const setupSeconds = (performance.now() - setupStart) / 1000;
    const rssBefore = server.rssNow();
    const heapBefore = await server.memory();

    const watch: Watch = {};
    const openStart = performance.now();
    const token = (i: number): string => tokens[i % o.users]![Math.floor(i / o.users)]!.token;
    conns = await openAll(`${base.replace('http', 'ws')}${WS_PATH}`, o.connections, (i) => ({ authorization: `Bearer ${token(i)}` }), (i) => JSON.stringify({ since: sinces[i % o.users], filter: FILTER }), watch);
    const openSeconds = (performance.now() - openStart) / 1000;
    // Let the opening settle (first frames, presence) before measuring an idle server.
    await new Promise((r) => setTimeout(r, 3000));
    const rssIdle = server.rssNow();
    const heapIdle = await server.memory();

    const marker = `hello-everyone-${Date.now()}`;
    watch.text = marker;
    const sentAt = performance.now();
    await api(base, 'PUT', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/everyone`, owner.token, { msgtype: 'm.text', body: marker });
    const sendMs = performance.now() - sentAt;
    await waitAll(conns, 30_000);
    const latencies = conns.flatMap((c) => (c.got === undefined ? [] : [c.got - sentAt])).sort((a, b) => a - b);
    const lost = conns.length - latencies.length;
    const allMs = lost === 0 ? latencies[latencies.length - 1]! : NaN;
    const rssPeak = server.rss();
    await closeAll(conns);
    conns = [];

    // The floor: the same number of connections on a trivial server, our frame to all.
    const trivial = await startTrivialServer();
    let floor: { rssIdle: number; allMs: number; rssBase: number };
    try {
      const rssBase = trivial.rssNow();
      const tWatch: Watch = {};
      const tConns = await openAll(`${trivial.url.replace('http', 'ws')}/`, o.connections, () => ({}), () => '{}', tWatch);
      await new Promise((r) => setTimeout(r, 1000));
      const tRss = trivial.rssNow();
      tWatch.text = marker;
      const tSent = performance.now();
      await trivial.broadcast(watch.frame ?? marker);
      await waitAll(tConns, 30_000);
      floor = { rssBase, rssIdle: tRss, allMs: Math.max(...tConns.map((c) => (c.got ?? NaN) - tSent)) };
      await closeAll(tConns);
    } finally {
      await trivial.stop();
    }

    const met = lost === 0 && allMs < 1000 && rssIdle < 1024 * 1048576;
    return {
      scenario: 'idle-connections',
      connections: o.connections,
      users: o.users,
      devices_per_user: devices,
      setup_seconds: round(setupSeconds, 1),
      open_seconds: round(openSeconds, 1),
      connections_opened_per_s: round(o.connections / openSeconds),
      server_rss_mb: { before_connections: mb(rssBefore), idle_with_connections: mb(rssIdle), peak: mb(rssPeak) },
      kb_per_connection: round((rssIdle - rssBefore) / o.connections / 1024, 1),
      // RSS against the JS heap: live objects per connection, and what the heap holds beyond them.
      server_heap_mb: {
        before_connections: { used: mb(heapBefore.heapUsed), total: mb(heapBefore.heapTotal), external: mb(heapBefore.external) },
        idle_with_connections: { used: mb(heapIdle.heapUsed), total: mb(heapIdle.heapTotal), external: mb(heapIdle.external) },
      },
      send_ms: round(sendMs),
      frame_bytes: Buffer.byteLength(watch.frame ?? ''),
      delivery_ms: { p50: round(percentile(latencies, 50)), p99: round(percentile(latencies, 99)), all: round(allMs) },
      lost,
      limit: {
        what: 'trivial WebSocket server process with as many idle connections: time to broadcast one frame to all, and its RSS',
        value: { all_ms: round(floor.allMs), rss_idle_mb: mb(floor.rssIdle), kb_per_connection: round((floor.rssIdle - floor.rssBase) / o.connections / 1024, 1) },
      },
      ratio_of_limit: { delivery: round(floor.allMs / allMs, 4), memory_per_connection: round((floor.rssIdle - floor.rssBase) / Math.max(1, rssIdle - rssBefore), 4) },
      target: { all_delivered_ms_below: 1000, rss_mb_below: 1024 },
      met,
      summary: `${o.connections} connections: RSS ${mb(rssIdle)} MB idle (${round((rssIdle - rssBefore) / o.connections / 1024, 1)} KB each; floor ${round((floor.rssIdle - floor.rssBase) / o.connections / 1024, 1)}), one message to all in ${round(allMs)} ms (p50 ${round(percentile(latencies, 50))}; floor ${round(floor.allMs)} ms), lost ${lost}`,
    };
  } finally {
    await closeAll(conns);
    await server.stop();
  }
}
