import http from 'node:http';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { WebSocketServer } from 'ws';

/**
 * A server with no work per request, run as its own process like the real one: the floor the
 * bench compares against. Every request (its body read and dropped) is answered with a JSON body
 * given by the parent (parsed once, serialised per request, as a real server must); WebSockets get one small frame after their
 * first message, then whatever the parent broadcasts. Commands arrive as JSON lines on stdin:
 * `{"body": "<file>"}`, `{"broadcast": "<text>"}`; each is answered with a JSON line on stdout.
 */
let payload: unknown = {};
const server = http.createServer((req, res) => {
  // Uploads are read to the end and dropped, so the floor includes moving their bytes.
  req.resume();
  req.once('end', () => {
    const text = JSON.stringify(payload);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  });
});
server.keepAliveTimeout = 60_000;
const wss = new WebSocketServer({ server, maxPayload: 64 * 1024 });
wss.on('connection', (ws) => {
  ws.once('message', () => ws.send('{"next_batch":"0"}'));
});
const reply = (o: unknown): boolean => process.stdout.write(`${JSON.stringify(o)}\n`);
server.listen(0, '127.0.0.1', () => reply({ port: (server.address() as { port: number }).port }));

createInterface({ input: process.stdin }).on('line', (line) => {
  const cmd = JSON.parse(line) as { body?: string; broadcast?: string };
  if (cmd.body !== undefined) {
    payload = JSON.parse(readFileSync(cmd.body, 'utf8'));
    reply({ ok: true });
  } else if (cmd.broadcast !== undefined) {
    let n = 0;
    for (const c of wss.clients) {
      c.send(cmd.broadcast);
      n++;
    }
    reply({ sent: n });
  }
});
process.stdin.once('end', () => process.exit(0));
