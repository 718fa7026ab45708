import test, { type ExecutionContext } from 'ava';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import sharp from 'sharp';
import { createMedia } from '../../src/components/media/index.js';
import { loadConfig } from '../../src/config/load.js';
import { migrate } from '../../src/db/migrations.js';
import { allMigrations } from '../../src/db/schema.js';
import { createApp } from '../../src/http/app.js';
import type { Authenticate } from '../../src/http/auth.js';
import { MatrixError } from '../../src/http/errors.js';
import { listen } from '../../src/http/listener.js';
import { createLogger } from '../../src/log/logger.js';
import { createTestDatabase } from '../helpers/database.js';
import { RemoteMediaError, type FederationRequestAuth, type RemoteMediaFetcher } from '../../src/components/media/api.js';
import { bytesOf, CLIENT_MEDIA, makeImage, startMediaServer } from './helpers.js';

const FED = '/_matrix/federation/v1/media';

/** Stands in for X-Matrix verification: one fixed header value is "signed by remote.example". */
const testAuth: FederationRequestAuth & { seen: string[] } = {
  seen: [],
  async authenticate({ method, uri, headers }) {
    if (headers.authorization !== 'X-Matrix origin="remote.example",key="ed25519:1",sig="test"') {
      throw new MatrixError(401, 'M_UNAUTHORIZED', 'Missing or invalid X-Matrix signature');
    }
    this.seen.push(`${method} ${uri}`);
    return { origin: 'remote.example' };
  },
};
const SIGNED = { Authorization: 'X-Matrix origin="remote.example",key="ed25519:1",sig="test"' };

interface Part {
  headers: Record<string, string>;
  body: Buffer;
}

/** A minimal RFC 2046 multipart reader, independent of the server's writer. */
function parseMultipart(contentType: string, body: Buffer): Part[] {
  const boundary = /boundary=("?)([^";]+)\1/.exec(contentType)?.[2];
  if (!boundary) throw new Error(`no boundary in ${contentType}`);
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: Part[] = [];
  let pos = body.indexOf(delimiter);
  for (;;) {
    const after = pos + delimiter.length;
    if (body.subarray(after, after + 2).toString() === '--') break;
    const headerEnd = body.indexOf('\r\n\r\n', after);
    const headers: Record<string, string> = {};
    for (const line of body.subarray(after + 2, headerEnd).toString('latin1').split('\r\n')) {
      const i = line.indexOf(':');
      headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
    }
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delimiter]), headerEnd + 4);
    parts.push({ headers, body: body.subarray(headerEnd + 4, next) });
    pos = next + 2;
  }
  return parts;
}

/**
 * The media component alone, its client and federation routes on one plain-HTTP app: the
 * federation listener (TLS, its own port) is not needed to exercise the handlers.
 */
async function startMediaApp(t: ExecutionContext, federationAuth: FederationRequestAuth | undefined): Promise<{ url: string }> {
  const database = await createTestDatabase();
  const handle = database.open();
  await migrate(handle.db, allMigrations());
  const dataDir = mkdtempSync(path.join(tmpdir(), 'hearth-media-'));
  const config = loadConfig({ env: { HS_SERVER_NAME: 'hs.test', HS_DATA_DIR: dataDir } });
  const log = createLogger('silent');
  const authenticate: Authenticate = async (token) => {
    if (token !== 'alice-token') throw new MatrixError(401, 'M_UNKNOWN_TOKEN', 'Unrecognised access token');
    return { userId: '@alice:hs.test', deviceId: 'DEV', isAdmin: false };
  };
  const media = createMedia({ db: handle.db, log, config, authenticate, federationAuth });
  await media.start?.();
  const { app } = createApp({
    log,
    maxJsonBodyBytes: 65536,
    mountRoutes: (router) => {
      media.routes?.(router);
      media.federationRoutes?.(router);
    },
  });
  const listener = await listen(app, '127.0.0.1', 0);
  t.teardown(async () => {
    await listener.close(0);
    await media.stop?.();
    await handle.close();
    await database.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });
  return { url: `http://127.0.0.1:${listener.port}` };
}

async function upload(url: string, bytes: Uint8Array, contentType: string, filename?: string): Promise<string> {
  const q = filename ? `?filename=${encodeURIComponent(filename)}` : '';
  const res = await fetch(`${url}/_matrix/media/v3/upload${q}`, { method: 'POST', headers: { Authorization: 'Bearer alice-token', 'Content-Type': contentType }, body: bytes });
  return ((await res.json()) as { content_uri: string }).content_uri.split('/').pop()!;
}

test('federation download and thumbnail answer multipart/mixed behind the request authenticator', async (t) => {
  const { url } = await startMediaApp(t, testAuth);
  const bytes = randomBytes(50_000);
  const fileId = await upload(url, bytes, 'application/pdf', 'report.pdf');

  t.is((await fetch(`${url}${FED}/download/${fileId}`)).status, 401, 'unsigned requests are refused');

  const res = await fetch(`${url}${FED}/download/${fileId}`, { headers: SIGNED });
  t.is(res.status, 200);
  const type = res.headers.get('content-type')!;
  t.regex(type, /^multipart\/mixed; boundary=/);
  const parts = parseMultipart(type, await bytesOf(res));
  t.is(parts.length, 2);
  t.is(parts[0]!.headers['content-type'], 'application/json');
  t.deepEqual(JSON.parse(parts[0]!.body.toString()), {});
  t.is(parts[1]!.headers['content-type'], 'application/pdf');
  t.is(parts[1]!.headers['content-disposition'], 'attachment; filename="report.pdf"');
  t.deepEqual(parts[1]!.body, bytes);
  t.deepEqual(testAuth.seen, [`GET ${FED}/download/${fileId}`]);

  const imgId = await upload(url, await makeImage(800, 600, 'png'), 'image/png');
  const th = await fetch(`${url}${FED}/thumbnail/${imgId}?width=96&height=96&method=crop`, { headers: SIGNED });
  t.is(th.status, 200);
  const tparts = parseMultipart(th.headers.get('content-type')!, await bytesOf(th));
  t.is(tparts[1]!.headers['content-type'], 'image/png');
  t.regex(tparts[1]!.headers['content-disposition']!, /^inline/);
  const meta = await sharp(tparts[1]!.body).metadata();
  t.deepEqual([meta.width, meta.height], [96, 96]);

  t.is((await fetch(`${url}${FED}/download/unknownMedia`, { headers: SIGNED })).status, 404);
  t.is((await fetch(`${url}${FED}/download/bad.id`, { headers: SIGNED })).status, 400);
  t.is((await fetch(`${url}${FED}/thumbnail/${imgId}`, { headers: SIGNED })).status, 400, 'width and height are required');
});

test('without an authenticator the federation media endpoints are not mounted; a homeserver mounts them on its federation listener', async (t) => {
  const { url } = await startMediaApp(t, undefined);
  const id = await upload(url, Buffer.from('x'), 'text/plain');
  const res = await fetch(`${url}${FED}/download/${id}`);
  t.is(res.status, 404);
  t.is(((await res.json()) as { errcode: string }).errcode, 'M_UNRECOGNIZED');
  // A whole homeserver passes federation's authenticator: the endpoints are on the federation
  // listener, and on the client one only when it also serves federation.
  const s = await startMediaServer(t, { HS_FEDERATION_ON_CLIENT_LISTENER: '0' });
  t.false(s.hs.routes().some((r) => r.path.startsWith(FED)));
  t.true(s.hs.federationRoutes().some((r) => r.path.startsWith(FED)));
});

test('remote media: fetched once through the fetcher, cached, then served; failures map to 404 and 502', async (t) => {
  const remoteBytes = randomBytes(10_000);
  const calls: string[] = [];
  const fetcher: RemoteMediaFetcher = {
    async fetch(serverName, mediaId, { maxBytes }) {
      calls.push(`${serverName}/${mediaId}`);
      if (mediaId === 'missing') throw new RemoteMediaError('not_found', 'no such media');
      if (mediaId === 'down') throw new RemoteMediaError('unavailable', 'connection refused');
      if (mediaId === 'huge') return { contentType: 'application/octet-stream', filename: undefined, body: Readable.from([randomBytes(maxBytes + 1)]) };
      return { contentType: 'image/x-custom', filename: 'remote.bin', body: Readable.from([remoteBytes]) };
    },
  };
  const s = await startMediaServer(t, { HS_MEDIA_MAX_UPLOAD_BYTES: '65536' }, { media: { remoteFetcher: fetcher } });

  const [a, b] = await Promise.all([s.download('remote.example', 'abc'), s.download('remote.example', 'abc')]);
  for (const res of [a, b]) {
    t.is(res.status, 200);
    t.deepEqual(await bytesOf(res), remoteBytes);
    t.is(res.headers.get('content-type'), 'image/x-custom');
    t.is(res.headers.get('content-disposition'), 'attachment; filename="remote.bin"');
  }
  t.is((await s.download('remote.example', 'abc')).status, 200);
  t.deepEqual(calls, ['remote.example/abc'], 'one fetch for concurrent and later requests');

  const missing = await s.download('remote.example', 'missing');
  t.is(missing.status, 404);
  const down = await s.download('remote.example', 'down');
  t.is(down.status, 502);
  t.is(((await down.json()) as { errcode: string }).errcode, 'M_UNKNOWN');
  const huge = await s.download('remote.example', 'huge');
  t.is(huge.status, 502);
  t.is(((await huge.json()) as { errcode: string }).errcode, 'M_TOO_LARGE');
});

test('remote media without a fetcher (no federation client given): a clear 404', async (t) => {
  // A homeserver always gives the media component federation's client; the component alone has none.
  const { url } = await startMediaApp(t, undefined);
  const res = await fetch(`${url}${CLIENT_MEDIA}/download/remote.example/abc`, { headers: { Authorization: 'Bearer alice-token' } });
  t.is(res.status, 404);
  const body = (await res.json()) as { errcode: string; error: string };
  t.is(body.errcode, 'M_NOT_FOUND');
  t.regex(body.error, /federation/);
});
