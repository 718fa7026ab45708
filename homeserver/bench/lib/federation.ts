import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, request } from 'undici';
import { generateSigningKey, signJson } from '../../src/core/signing.js';
import { xMatrixAuthorization } from '../../src/components/federation/auth/x-matrix.js';
import type { PDU } from '../../src/core/events.js';
import { makeBenchCa, type BenchCa } from './certs.js';
import type { BenchServerKey, RemoteRoom } from './remote-room.js';
import { freePort, startBenchServer, type BenchServer } from './server.js';

/** The name of the server the bench plays, and of the Hearth under test. */
export const REMOTE = 'remote.bench';
export const HEARTH = 'bench.test';

/**
 * A second homeserver played by the bench process: HTTPS on 127.0.0.1 with a certificate for
 * `remote.bench`, its own ed25519 key, the rooms it holds. It serves what a joining server asks of
 * a resident one (key document, make_join, send_join) and takes whatever Hearth sends it.
 */
export class RemoteHomeserver {
  readonly key: BenchServerKey;
  readonly rooms = new Map<string, RemoteRoom>();
  /** Requests Hearth made, by method and route, for the report. */
  readonly requests = new Map<string, number>();
  /** When each request came (performance.now()) and when our answer was written out. */
  readonly timeline: Array<{ route: string; at: number; answeredAt?: number }> = [];
  /** PDUs Hearth pushed to us in transactions. */
  readonly received: PDU[] = [];
  private server: Server | undefined;
  port = 0;

  constructor() {
    const { seed, publicKey } = generateSigningKey();
    this.key = { serverName: REMOTE, keyId: 'ed25519:bench', seed, publicKey };
  }

  async listen(tls: { certPath: string; keyPath: string }): Promise<void> {
    this.server = createServer({ cert: readFileSync(tls.certPath), key: readFileSync(tls.keyPath) }, (req, res) => {
      this.handle(req, res).catch((err: unknown) => reply(res, 500, { errcode: 'M_UNKNOWN', error: String(err) }));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  close(): Promise<void> {
    const s = this.server;
    if (!s) return Promise.resolve();
    s.closeAllConnections();
    return new Promise((resolve) => s.close(() => resolve()));
  }

  private count(route: string, res?: ServerResponse): void {
    this.requests.set(route, (this.requests.get(route) ?? 0) + 1);
    if (res) {
      const entry: { route: string; at: number; answeredAt?: number } = { route, at: performance.now() };
      this.timeline.push(entry);
      res.once('finish', () => (entry.answeredAt = performance.now()));
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://remote.bench');
    const parts = url.pathname.split('/').map(decodeURIComponent);
    const method = req.method ?? 'GET';
    const body = method === 'PUT' || method === 'POST' ? await readJson(req) : undefined;

    if (method === 'GET' && url.pathname === '/_matrix/key/v2/server') {
      this.count('GET key/v2/server', res);
      return reply(res, 200, this.keyDocument());
    }
    if (method === 'GET' && url.pathname === '/_matrix/federation/v1/version') {
      this.count('GET version');
      return reply(res, 200, { server: { name: 'hearth-bench-remote', version: '1' } });
    }
    // /_matrix/federation/v1/make_join/{roomId}/{userId}
    if (method === 'GET' && parts[3] === 'v1' && parts[4] === 'make_join') {
      this.count('GET make_join', res);
      const room = this.rooms.get(parts[5]!);
      if (!room) return reply(res, 404, { errcode: 'M_NOT_FOUND', error: 'unknown room' });
      return reply(res, 200, { room_version: room.rv.id, event: room.joinTemplate(parts[6]!) });
    }
    // /_matrix/federation/v2/send_join/{roomId}/{eventId}
    if (method === 'PUT' && parts[3] === 'v2' && parts[4] === 'send_join') {
      this.count('PUT send_join', res);
      const room = this.rooms.get(parts[5]!);
      if (!room) return reply(res, 404, { errcode: 'M_NOT_FOUND', error: 'unknown room' });
      // The answer is the state before the join: taken before the join goes into the room.
      const answer = room.joinAnswer();
      room.append(body as PDU);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': answer.length });
      res.end(answer);
      return;
    }
    if (method === 'PUT' && parts[3] === 'v1' && parts[4] === 'send') {
      this.count('PUT send');
      const pdus = Array.isArray((body as { pdus?: unknown }).pdus) ? ((body as { pdus: PDU[] }).pdus) : [];
      this.received.push(...pdus);
      return reply(res, 200, { pdus: {} });
    }
    this.count(`${method} ${parts.slice(3, 5).join('/')} (404)`);
    return reply(res, 404, { errcode: 'M_UNRECOGNIZED', error: 'not served by the bench' });
  }

  private keyDocument(): Record<string, unknown> {
    return signJson(
      { server_name: REMOTE, valid_until_ts: Date.now() + 24 * 3600_000, verify_keys: { [this.key.keyId]: { key: this.key.publicKey } }, old_verify_keys: {} },
      REMOTE,
      this.key.keyId,
      this.key.seed,
    );
  }
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? JSON.parse(text) : {};
}

/** Signed requests from the remote server to Hearth's federation listener, over TLS checked against the bench CA. */
export class FederationSender {
  private readonly agent: Agent;

  constructor(
    private readonly baseUrl: string,
    ca: string,
    private readonly key: BenchServerKey,
  ) {
    this.agent = new Agent({ connect: { ca, servername: HEARTH }, keepAliveTimeout: 60_000 });
  }

  async request(method: 'GET' | 'PUT' | 'POST', path: string, body?: unknown): Promise<any> {
    const authorization = xMatrixAuthorization({ method, uri: path, origin: this.key.serverName, destination: HEARTH, content: body }, this.key.keyId, this.key.seed);
    const res = await request(`${this.baseUrl}${path}`, {
      method,
      dispatcher: this.agent,
      headers: { host: HEARTH, authorization, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const text = await res.body.text();
    if (res.statusCode >= 400) throw new Error(`${method} ${path}: ${res.statusCode} ${text}`);
    return text ? JSON.parse(text) : undefined;
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}

export interface FederatedBench {
  server: BenchServer;
  remote: RemoteHomeserver;
  /** The remote server's requests to Hearth's federation listener. */
  sender: FederationSender;
  stop(): Promise<void>;
}

/**
 * Hearth (`bench.test`) started as its own process with its federation listener on HTTPS, trusting
 * a throwaway CA and resolving `remote.bench` to the bench's remote server, which is listening
 * already with a certificate of the same CA.
 */
export async function startFederatedBench(env: Record<string, string> = {}): Promise<FederatedBench> {
  const ca: BenchCa = await makeBenchCa();
  const remote = new RemoteHomeserver();
  let server: BenchServer | undefined;
  try {
    const [remoteTls, hearthTls] = await Promise.all([ca.issue(REMOTE), ca.issue(HEARTH)]);
    await remote.listen(remoteTls);
    const federationPort = await freePort();
    server = await startBenchServer({
      HS_FEDERATION_BIND: '127.0.0.1',
      HS_FEDERATION_PORT: String(federationPort),
      HS_FEDERATION_TLS_CERT_PATH: hearthTls.certPath,
      HS_FEDERATION_TLS_KEY_PATH: hearthTls.keyPath,
      HS_FEDERATION_EXTRA_CA_PATH: ca.certPath,
      HS_FEDERATION_RESOLVE_OVERRIDE: `${REMOTE}=127.0.0.1:${remote.port}`,
      HS_FEDERATION_ON_CLIENT_LISTENER: '1',
      ...env,
    });
    const sender = new FederationSender(`https://127.0.0.1:${federationPort}`, ca.pem, remote.key);
    const started = server;
    return {
      server: started,
      remote,
      sender,
      async stop() {
        await sender.close();
        await started.stop();
        await remote.close();
        ca.remove();
      },
    };
  } catch (err) {
    await server?.stop();
    await remote.close();
    ca.remove();
    throw err;
  }
}
