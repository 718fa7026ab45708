import pg from 'pg';
import { WebSocketServer, WebSocket } from 'ws';
import { createScratchDatabase } from './database.js';

/**
 * The machine's own limit for fan-out: a trivial WebSocket server that broadcasts small frames to
 * `clients` connections on loopback, with no work per message. Deliveries per second.
 */
export async function rawWebSocketBroadcast(clients: number, messages: number): Promise<number> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const port = (wss.address() as { port: number }).port;
  let received = 0;
  const sockets = await Promise.all(
    Array.from({ length: clients }, () => new Promise<WebSocket>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}`);
      ws.on('message', () => received++);
      ws.once('open', () => resolve(ws));
    })),
  );
  while (wss.clients.size < clients) await new Promise((r) => setTimeout(r, 10));
  const payload = JSON.stringify({ type: 'm.room.message', content: { body: 'x'.repeat(64) } });
  const start = performance.now();
  for (let i = 0; i < messages; i++) {
    for (const c of wss.clients) c.send(payload);
    if (i % 50 === 0) await new Promise((r) => setImmediate(r));
  }
  while (received < clients * messages) await new Promise((r) => setTimeout(r, 5));
  const seconds = (performance.now() - start) / 1000;
  sockets.forEach((s) => s.close());
  await new Promise<void>((resolve) => wss.close(() => resolve()));
  return (clients * messages) / seconds;
}

/**
 * The machine's limit for anything that commits once per request: single-row INSERTs, each its
 * own transaction, one after another on one connection, into a fresh database of the same
 * PostgreSQL server (so with its fsync and synchronous_commit settings). Commits per second.
 */
export async function rawPgCommitRate(seconds = 2): Promise<number> {
  const db = await createScratchDatabase('hearth_bench_raw');
  const c = new pg.Client({ connectionString: db.url });
  try {
    await c.connect();
    await c.query('CREATE TABLE t (id bigserial PRIMARY KEY, body text NOT NULL)');
    const row = 'x'.repeat(200);
    let n = 0;
    const start = performance.now();
    const end = start + seconds * 1000;
    while (performance.now() < end) {
      await c.query('INSERT INTO t (body) VALUES ($1)', [row]);
      n++;
    }
    return n / ((performance.now() - start) / 1000);
  } finally {
    await c.end().catch(() => undefined);
    await db.drop();
  }
}
