import http from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';

/**
 * The fan-out bench's floor: a server that keeps messages in an array and does nothing else,
 * run as its own process like the real one. It speaks just enough of the client API for the
 * bench's own clients: `PUT …/send/…` appends the body as an event and answers every waiting
 * long-poll (`GET …/sync?since=N`, N the count of messages the client has) and every WebSocket
 * that has sent its first message with a sync-shaped body of what is new. Each body is
 * serialised per response, as a real server must. Prints `{"port": …}` once listening.
 */
const ROOM = '!fanout:trivial';
const events: Array<Record<string, unknown>> = [];
const held: Array<{ res: http.ServerResponse; since: number }> = [];
const sockets = new Set<WebSocket>();

function syncBody(since: number): string {
  const room = { timeline: { events: events.slice(since), limited: false, prev_batch: `t${since}` }, state: { events: [] }, ephemeral: { events: [] }, account_data: { events: [] }, unread_notifications: { notification_count: events.length - since, highlight_count: 0 } };
  return JSON.stringify({
    next_batch: String(events.length),
    rooms: { join: { [ROOM]: room }, invite: {}, leave: {}, knock: {} },
    presence: { events: [] },
    account_data: { events: [] },
    to_device: { events: [] },
    device_lists: { changed: [], left: [] },
    device_one_time_keys_count: {},
    device_unused_fallback_key_types: [],
  });
}

function answer(res: http.ServerResponse, since: number): void {
  const text = syncBody(since);
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.once('end', () => {
    if (req.method === 'PUT') {
      const n = events.length;
      const eventId = `$${String(n).padStart(43, 'A')}`;
      events.push({ type: 'm.room.message', sender: '@sender:trivial', content: JSON.parse(Buffer.concat(chunks).toString('utf8')), origin_server_ts: Date.now(), unsigned: { age: 0 }, event_id: eventId, room_id: ROOM });
      const text = JSON.stringify({ event_id: eventId });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
      for (const w of held.splice(0)) answer(w.res, w.since);
      for (const ws of sockets) ws.send(syncBody(n));
      return;
    }
    const since = Number(new URL(req.url ?? '/', 'http://trivial').searchParams.get('since') ?? events.length);
    if (since < events.length) answer(res, since);
    else held.push({ res, since });
  });
});
server.keepAliveTimeout = 60_000;
const wss = new WebSocketServer({ server });
wss.on('connection', (ws) => {
  ws.once('message', () => sockets.add(ws));
  ws.on('close', () => sockets.delete(ws));
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ port: (server.address() as { port: number }).port })}\n`));
process.stdin.resume();
process.stdin.once('end', () => process.exit(0));
