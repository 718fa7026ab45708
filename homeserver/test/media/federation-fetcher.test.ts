import test, { type ExecutionContext } from 'ava';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { rootCertificates } from 'node:tls';
import { FederationRequestError, type FederationClient, type FederationRawResponse, type FederationRequestOptions } from '../../src/components/federation/api.js';
import { RemoteMediaError, type RemoteMedia } from '../../src/components/media/api.js';
import { GuardedFetcher } from '../../src/components/media/preview/guarded-fetch.js';
import { IpGuard } from '../../src/util/ip-ranges.js';
import { FederationMediaFetcher } from '../../src/components/media/remote/federation-fetcher.js';
import { testCa } from '../helpers/federation.js';

/**
 * The fetcher against an origin that answers whatever a test wants (the federation client's
 * interface, so any multipart or error answer can be made), and a real HTTPS server for the
 * `Location` parts, reached through the real SSRF-guarded fetcher.
 */

interface Answer {
  status: number;
  headers?: Record<string, string>;
  body?: Buffer | Buffer[];
}

class Origin implements FederationClient {
  readonly requests: Array<{ destination: string; path: string; query: FederationRequestOptions['query'] }> = [];
  discarded = 0;
  constructor(private readonly answer: (path: string) => Answer | Error) {}

  requestJson<T>(): Promise<T> {
    throw new Error('not used');
  }

  async requestRaw(destination: string, options: FederationRequestOptions): Promise<FederationRawResponse> {
    this.requests.push({ destination, path: options.path, query: options.query });
    const a = this.answer(options.path);
    if (a instanceof Error) throw a;
    const body = Readable.from(Array.isArray(a.body) ? a.body : [a.body ?? Buffer.alloc(0)]);
    return {
      status: a.status,
      headers: a.headers ?? {},
      body,
      discard: () => {
        this.discarded++;
        body.destroy();
      },
    };
  }
}

const BOUNDARY = 'xYz0123';
const MULTIPART = { 'content-type': `multipart/mixed; boundary=${BOUNDARY}` };
const crlf = (s: string): Buffer => Buffer.from(s.replace(/\n/g, '\r\n'), 'latin1');

function multipart(partHeaders: string, content: Buffer = Buffer.alloc(0)): Buffer {
  return Buffer.concat([crlf(`--${BOUNDARY}\nContent-Type: application/json\n\n{}\n--${BOUNDARY}\n${partHeaders}\n\n`), content, crlf(`\n--${BOUNDARY}--\n`)]);
}

const jsonError = (status: number, errcode: string): Answer => ({ status, headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify({ errcode, error: 'x' })) });

const OPTIONS = { maxBytes: 100_000, timeoutMs: 5000, signal: new AbortController().signal };

async function bytesOf(media: RemoteMedia): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of media.body as AsyncIterable<Uint8Array>) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks);
}

async function failsWith(t: ExecutionContext, p: Promise<unknown>, kind: RemoteMediaError['kind'], message?: RegExp): Promise<void> {
  const err = await t.throwsAsync(p, { instanceOf: RemoteMediaError });
  t.is(err?.kind, kind, err?.message);
  if (message) t.regex(err!.message, message);
}

const cdnBytes = randomBytes(20_000);
let cdnUrl: string;
let cdnPem: string;

test.before(async () => {
  const ca = await testCa();
  const { certPath, keyPath } = await ca.issue('cdn.test');
  cdnPem = ca.pem;
  const server = https.createServer({ cert: readFileSync(certPath), key: readFileSync(keyPath) }, (req, res) => {
    const path = req.url ?? '';
    if (path === '/file') {
      res.writeHead(200, { 'content-type': 'image/webp', 'content-disposition': 'inline; filename="from-cdn.webp"', 'content-length': cdnBytes.length });
      res.end(cdnBytes);
    } else if (path === '/bare') {
      res.end(cdnBytes);
    } else if (path === '/redirect') {
      res.writeHead(302, { location: '/file' }).end();
    } else if (path === '/loop') {
      res.writeHead(302, { location: '/loop' }).end();
    } else if (path === '/to-http') {
      res.writeHead(302, { location: `http://cdn.test:${(server.address() as AddressInfo).port}/file` }).end();
    } else if (path === '/streamed-big') {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.write(randomBytes(60_000));
      setTimeout(() => res.end(randomBytes(60_000)), 20);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cdnUrl = `https://cdn.test:${(server.address() as AddressInfo).port}`;
  server.unref();
});

/** Location URLs to cdn.test go to the HTTPS server above; `allowLoopback` false is production's guard. */
function fetcherFor(origin: Origin, allowLoopback = true): FederationMediaFetcher {
  const resolver = async (host: string) => (host === 'cdn.test' ? [{ address: '127.0.0.1', family: 4 }] : []);
  const guarded = new GuardedFetcher(new IpGuard(allowLoopback ? ['127.0.0.1/32'] : []), resolver, { httpsOnly: true, ca: [...rootCertificates, cdnPem] });
  return new FederationMediaFetcher(origin, guarded);
}

test('the bytes in the multipart answer, with their type and file name; the request is the spec one', async (t) => {
  const content = randomBytes(50_000);
  const origin = new Origin(() => ({ status: 200, headers: MULTIPART, body: [multipart('Content-Type: application/pdf\nContent-Disposition: attachment; filename="r.pdf"', content)] }));
  const media = await fetcherFor(origin).fetch('origin.test', 'abcDEF', OPTIONS);
  t.is(media.contentType, 'application/pdf');
  t.is(media.filename, 'r.pdf');
  t.deepEqual(await bytesOf(media), content);
  t.deepEqual(origin.requests, [{ destination: 'origin.test', path: '/_matrix/federation/v1/media/download/abcDEF', query: { timeout_ms: 5000 } }]);
  t.is(origin.discarded, 0, 'a well-formed answer is read to its end, so the connection can be reused');
});

test('bad content headers from the origin are dropped, not stored', async (t) => {
  const origin = new Origin(() => ({ status: 200, headers: MULTIPART, body: multipart('Content-Type: text/html\x01\nContent-Disposition: attachment; filename="a\x7fb"', Buffer.from('x')) }));
  const media = await fetcherFor(origin).fetch('origin.test', 'm', OPTIONS);
  t.is(media.contentType, undefined);
  t.is(media.filename, undefined);
  t.is((await bytesOf(media)).toString(), 'x');
});

test('past maxBytes the transfer stops with too_large', async (t) => {
  const origin = new Origin(() => ({ status: 200, headers: MULTIPART, body: [multipart('Content-Type: application/octet-stream', randomBytes(150_000))] }));
  const media = await fetcherFor(origin).fetch('origin.test', 'm', OPTIONS);
  await failsWith(t, bytesOf(media), 'too_large');
  t.is(origin.discarded, 1, 'the connection is released');
});

test('a truncated or malformed answer is unavailable, never short content', async (t) => {
  const whole = multipart('Content-Type: application/octet-stream', randomBytes(5000));
  const truncated = new Origin(() => ({ status: 200, headers: MULTIPART, body: whole.subarray(0, 3000) }));
  const media = await fetcherFor(truncated).fetch('origin.test', 'm', OPTIONS);
  await failsWith(t, bytesOf(media), 'unavailable', /malformed multipart/);

  const notMultipart = new Origin(() => ({ status: 200, headers: { 'content-type': 'application/octet-stream' }, body: Buffer.from('raw') }));
  await failsWith(t, fetcherFor(notMultipart).fetch('origin.test', 'm', OPTIONS), 'unavailable', /multipart\/mixed/);

  const badMetadata = new Origin(() => ({ status: 200, headers: MULTIPART, body: crlf(`--${BOUNDARY}\n\n[1]\n--${BOUNDARY}\n\nx\n--${BOUNDARY}--\n`) }));
  await failsWith(t, fetcherFor(badMetadata).fetch('origin.test', 'm', OPTIONS), 'unavailable', /metadata/);

  const onePart = new Origin(() => ({ status: 200, headers: MULTIPART, body: crlf(`--${BOUNDARY}\n\n{}\n--${BOUNDARY}--\n`) }));
  await failsWith(t, fetcherFor(onePart).fetch('origin.test', 'm', OPTIONS), 'unavailable', /no content part/);
});

test('error answers: 404 not_found, M_TOO_LARGE too_large, anything else or no connection unavailable', async (t) => {
  await failsWith(t, fetcherFor(new Origin(() => jsonError(404, 'M_NOT_FOUND'))).fetch('o.test', 'm', OPTIONS), 'not_found');
  await failsWith(t, fetcherFor(new Origin(() => ({ status: 404, body: Buffer.from('<html>') }))).fetch('o.test', 'm', OPTIONS), 'not_found');
  await failsWith(t, fetcherFor(new Origin(() => jsonError(502, 'M_TOO_LARGE'))).fetch('o.test', 'm', OPTIONS), 'too_large');
  await failsWith(t, fetcherFor(new Origin(() => jsonError(504, 'M_NOT_YET_UPLOADED'))).fetch('o.test', 'm', OPTIONS), 'unavailable', /504 M_NOT_YET_UPLOADED/);
  await failsWith(t, fetcherFor(new Origin(() => jsonError(500, 'M_UNKNOWN'))).fetch('o.test', 'm', OPTIONS), 'unavailable');
  const refused = new FederationRequestError('connect', 'o.test', 'connection refused');
  await failsWith(t, fetcherFor(new Origin(() => refused)).fetch('o.test', 'm', OPTIONS), 'unavailable', /connection refused/);
});

test('404 M_UNRECOGNIZED: the legacy endpoint with allow_remote=false', async (t) => {
  const content = randomBytes(3000);
  const origin = new Origin((path) =>
    path.startsWith('/_matrix/federation/')
      ? jsonError(404, 'M_UNRECOGNIZED')
      : { status: 200, headers: { 'content-type': 'image/gif', 'content-disposition': `inline; filename*=utf-8''%C3%A9t%C3%A9.gif` }, body: content },
  );
  const media = await fetcherFor(origin).fetch('old.test', 'legacyId', OPTIONS);
  t.deepEqual(
    origin.requests.map((r) => [r.path, r.query]),
    [
      ['/_matrix/federation/v1/media/download/legacyId', { timeout_ms: 5000 }],
      ['/_matrix/media/v3/download/old.test/legacyId', { allow_remote: 'false', timeout_ms: 5000 }],
    ],
  );
  t.is(media.contentType, 'image/gif');
  t.is(media.filename, 'été.gif');
  t.deepEqual(await bytesOf(media), content);

  const missing = new Origin((path) => (path.startsWith('/_matrix/federation/') ? jsonError(404, 'M_UNRECOGNIZED') : jsonError(404, 'M_NOT_FOUND')));
  await failsWith(t, fetcherFor(missing).fetch('old.test', 'm', OPTIONS), 'not_found');
  const big = new Origin((path) => (path.startsWith('/_matrix/federation/') ? jsonError(404, 'M_UNRECOGNIZED') : { status: 200, headers: { 'content-length': '200000' }, body: Buffer.alloc(10) }));
  await failsWith(t, fetcherFor(big).fetch('old.test', 'm', OPTIONS), 'too_large');
});

const locationAnswer = (url: string, extra = ''): Origin => new Origin(() => ({ status: 200, headers: MULTIPART, body: multipart(`Location: ${url}${extra}`) }));

test('a Location part is followed with an HTTPS GET (redirects included); its headers describe the media', async (t) => {
  const direct = await fetcherFor(locationAnswer(`${cdnUrl}/file`)).fetch('o.test', 'm', OPTIONS);
  t.is(direct.contentType, 'image/webp');
  t.is(direct.filename, 'from-cdn.webp');
  t.deepEqual(await bytesOf(direct), cdnBytes);

  const redirected = await fetcherFor(locationAnswer(`${cdnUrl}/redirect`)).fetch('o.test', 'm', OPTIONS);
  t.deepEqual(await bytesOf(redirected), cdnBytes);

  // Without headers of its own, the URL's media is described by the origin's part.
  const bare = await fetcherFor(locationAnswer(`${cdnUrl}/bare`, '\nContent-Disposition: attachment; filename="part.bin"')).fetch('o.test', 'm', OPTIONS);
  t.is(bare.filename, 'part.bin');
  t.deepEqual(await bytesOf(bare), cdnBytes);
});

test('Location: private addresses, plain http, endless redirects, size and 404 are refused', async (t) => {
  await failsWith(t, fetcherFor(locationAnswer(`${cdnUrl}/file`), false).fetch('o.test', 'm', OPTIONS), 'unavailable', /blocked address/);
  await failsWith(t, fetcherFor(locationAnswer('https://127.0.0.1/admin')).fetch('o.test', 'm', OPTIONS), 'unavailable', /127\.0\.0\.1/);
  await failsWith(t, fetcherFor(locationAnswer(`http://cdn.test/file`)).fetch('o.test', 'm', OPTIONS), 'unavailable', /only https/);
  await failsWith(t, fetcherFor(locationAnswer(`${cdnUrl}/to-http`)).fetch('o.test', 'm', OPTIONS), 'unavailable', /only https/);
  await failsWith(t, fetcherFor(locationAnswer(`${cdnUrl}/loop`)).fetch('o.test', 'm', OPTIONS), 'unavailable', /too many redirects/);
  await failsWith(t, fetcherFor(locationAnswer('/relative/path')).fetch('o.test', 'm', OPTIONS), 'unavailable', /invalid Location/);
  await failsWith(t, fetcherFor(locationAnswer(`${cdnUrl}/missing`)).fetch('o.test', 'm', OPTIONS), 'not_found');
  await failsWith(t, fetcherFor(locationAnswer(`${cdnUrl}/file`)).fetch('o.test', 'm', { ...OPTIONS, maxBytes: 1000 }), 'too_large');
  const streamed = await fetcherFor(locationAnswer(`${cdnUrl}/streamed-big`)).fetch('o.test', 'm', OPTIONS);
  await failsWith(t, bytesOf(streamed), 'too_large');
});
