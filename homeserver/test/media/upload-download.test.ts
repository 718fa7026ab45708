import test from 'ava';
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { bytesOf, CLIENT_MEDIA, MEDIA_V3, startMediaServer } from './helpers.js';

test('upload and download round trip: exact bytes, type, disposition and safety headers', async (t) => {
  const s = await startMediaServer(t);
  const bytes = randomBytes(200_000);
  const { serverName, mediaId, mxc } = await s.upload(bytes, 'application/pdf', 'War and Peace.pdf');
  t.is(serverName, 'hs.test');
  t.regex(mediaId, /^[A-Za-z0-9]{24}$/);
  t.true(mxc.startsWith('mxc://hs.test/'));

  const res = await s.download(serverName, mediaId);
  t.is(res.status, 200);
  t.deepEqual(await bytesOf(res), bytes);
  t.is(res.headers.get('content-type'), 'application/pdf');
  t.is(res.headers.get('content-length'), String(bytes.length));
  // Not in the inline allow-list: an attachment.
  t.is(res.headers.get('content-disposition'), 'attachment; filename="War and Peace.pdf"');
  t.is(
    res.headers.get('content-security-policy'),
    "sandbox; default-src 'none'; script-src 'none'; plugin-types application/pdf; style-src 'unsafe-inline'; media-src 'self'; object-src 'self';",
  );
  t.is(res.headers.get('x-content-type-options'), 'nosniff');
  t.is(res.headers.get('cross-origin-resource-policy'), 'cross-origin');
  t.regex(res.headers.get('cache-control') ?? '', /max-age=31536000.*immutable/);
  t.is(res.headers.get('accept-ranges'), 'bytes');

  // The path's file name wins over the uploaded one.
  const named = await s.raw('GET', `${CLIENT_MEDIA}/download/${serverName}/${mediaId}/other.pdf`, { token: s.alice.accessToken });
  t.is(named.headers.get('content-disposition'), 'attachment; filename="other.pdf"');
  t.deepEqual(await bytesOf(named), bytes);
});

test('inline only for safe types; HTML is an attachment; non-ASCII names use filename*', async (t) => {
  const s = await startMediaServer(t);
  const png = await s.upload(Buffer.from('not really a png'), 'image/png', 'café ☕.png');
  const res = await s.download(png.serverName, png.mediaId);
  t.is(res.headers.get('content-disposition'), `inline; filename="caf_ _.png"; filename*=utf-8''caf%C3%A9%20%E2%98%95.png`);

  const html = await s.upload(Buffer.from('<script>alert(1)</script>'), 'text/html');
  const h = await s.download(html.serverName, html.mediaId);
  t.is(h.headers.get('content-disposition'), 'attachment');
  t.is(h.headers.get('content-type'), 'text/html; charset=utf-8');

  const text = await s.upload(Buffer.from('hello'), 'text/plain', 'a"b.txt');
  const tx = await s.download(text.serverName, text.mediaId);
  // The exact name survives in filename*; the quoted form cannot hold a bare quote.
  t.is(tx.headers.get('content-disposition'), `inline; filename="a_b.txt"; filename*=utf-8''a%22b.txt`);

  // No Content-Type: stored and served as application/octet-stream.
  const res2 = await s.raw('POST', `${MEDIA_V3}/upload`, { token: s.alice.accessToken, body: new Uint8Array([1, 2, 3]) });
  const mxc = ((await res2.json()) as { content_uri: string }).content_uri.slice('mxc://hs.test/'.length);
  const d = await s.download('hs.test', mxc);
  t.is(d.headers.get('content-type'), 'application/octet-stream');
  t.is(d.headers.get('content-disposition'), 'attachment');
});

test('authentication: no token 401 M_MISSING_TOKEN, bad token 401 M_UNKNOWN_TOKEN', async (t) => {
  const s = await startMediaServer(t);
  const { serverName, mediaId } = await s.upload(Buffer.from('secret'), 'text/plain');
  for (const path of [`${CLIENT_MEDIA}/download/${serverName}/${mediaId}`, `${CLIENT_MEDIA}/thumbnail/${serverName}/${mediaId}?width=32&height=32`, `${CLIENT_MEDIA}/config`, `${CLIENT_MEDIA}/preview_url?url=http://example.org/`]) {
    const res = await s.raw('GET', path);
    t.is(res.status, 401, path);
    t.is(((await res.json()) as { errcode: string }).errcode, 'M_MISSING_TOKEN');
  }
  const up = await s.raw('POST', `${MEDIA_V3}/upload`, { body: Buffer.from('x') });
  t.is(up.status, 401);
  const bad = await s.raw('GET', `${CLIENT_MEDIA}/download/${serverName}/${mediaId}`, { token: 'nope' });
  t.is(((await bad.json()) as { errcode: string }).errcode, 'M_UNKNOWN_TOKEN');
});

test('size limit: 413 M_TOO_LARGE by Content-Length and while streaming; config advertises it', async (t) => {
  const s = await startMediaServer(t, { HS_MEDIA_MAX_UPLOAD_BYTES: '4096' });
  for (const path of [`${CLIENT_MEDIA}/config`, `${MEDIA_V3}/config`]) {
    const c = await s.raw('GET', path, { token: s.alice.accessToken });
    t.deepEqual(await c.json(), { 'm.upload.size': 4096 });
  }
  t.truthy(await s.upload(randomBytes(4096)));

  const declared = await s.raw('POST', `${MEDIA_V3}/upload`, { token: s.alice.accessToken, body: randomBytes(5000) });
  t.is(declared.status, 413);
  t.is(((await declared.json()) as { errcode: string }).errcode, 'M_TOO_LARGE');

  // Chunked, no Content-Length: refused once the bytes pass the limit.
  const chunks = [randomBytes(3000), randomBytes(3000)];
  const stream = new ReadableStream<Uint8Array>({
    pull(c) {
      const next = chunks.shift();
      if (next) c.enqueue(next);
      else c.close();
    },
  });
  const streamed = await fetch(`${s.url}${MEDIA_V3}/upload`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${s.alice.accessToken}` },
    body: stream,
    duplex: 'half',
  } as RequestInit);
  t.is(streamed.status, 413);
  t.is(((await streamed.json()) as { errcode: string }).errcode, 'M_TOO_LARGE');
  t.is(s.storedFiles().length, 1, 'only the accepted upload is stored');
  t.deepEqual(readdirSync(path.join(s.mediaDir, 'tmp')), [], 'the partial upload was removed');
});

test('per-user upload rate limit: 429 M_LIMIT_EXCEEDED with retry_after_ms', async (t) => {
  const s = await startMediaServer(t, { HS_RATE_LIMIT_MEDIA_UPLOAD_BURST: '2', HS_RATE_LIMIT_MEDIA_UPLOAD_PER_SECOND: '0.01' });
  await s.upload(Buffer.from('1'));
  await s.upload(Buffer.from('2'));
  const res = await s.raw('POST', `${MEDIA_V3}/upload`, { token: s.alice.accessToken, body: Buffer.from('3') });
  t.is(res.status, 429);
  const body = (await res.json()) as { errcode: string; retry_after_ms: number };
  t.is(body.errcode, 'M_LIMIT_EXCEEDED');
  t.true(body.retry_after_ms > 0);
});

test('range requests: 206 with Content-Range, suffix ranges, 416, and whole file for several ranges', async (t) => {
  const s = await startMediaServer(t);
  const bytes = randomBytes(1000);
  const { serverName, mediaId } = await s.upload(bytes, 'video/mp4');
  const get = (range: string, extra: Record<string, string> = {}) =>
    s.raw('GET', `${CLIENT_MEDIA}/download/${serverName}/${mediaId}`, { token: s.alice.accessToken, headers: { Range: range, ...extra } });

  const r1 = await get('bytes=100-199');
  t.is(r1.status, 206);
  t.is(r1.headers.get('content-range'), 'bytes 100-199/1000');
  t.is(r1.headers.get('content-length'), '100');
  t.deepEqual(await bytesOf(r1), bytes.subarray(100, 200));

  const r2 = await get('bytes=-10');
  t.is(r2.status, 206);
  t.deepEqual(await bytesOf(r2), bytes.subarray(990));

  const r3 = await get('bytes=990-');
  t.is(r3.headers.get('content-range'), 'bytes 990-999/1000');
  t.deepEqual(await bytesOf(r3), bytes.subarray(990));

  const r4 = await get('bytes=5000-6000');
  t.is(r4.status, 416);
  t.is(r4.headers.get('content-range'), 'bytes */1000');

  const r5 = await get('bytes=0-1,5-6');
  t.is(r5.status, 200);
  t.deepEqual(await bytesOf(r5), bytes);

  // A stale If-Range: the whole current file.
  const r6 = await get('bytes=0-9', { 'If-Range': '"something-else"' });
  t.is(r6.status, 200);

  const etag = r1.headers.get('etag')!;
  const r7 = await s.raw('GET', `${CLIENT_MEDIA}/download/${serverName}/${mediaId}`, { token: s.alice.accessToken, headers: { 'If-None-Match': etag } });
  t.is(r7.status, 304);
});

test('bad input: invalid IDs 400, unknown media 404, bad Content-Type 400, never 500', async (t) => {
  const s = await startMediaServer(t);
  const tok = { token: s.alice.accessToken };
  const cases: Array<[string, number, string]> = [
    [`${CLIENT_MEDIA}/download/hs.test/bad.id`, 400, 'M_INVALID_PARAM'],
    [`${CLIENT_MEDIA}/download/hs.test/..%2F..%2Fetc`, 400, 'M_INVALID_PARAM'],
    [`${CLIENT_MEDIA}/download/not_a_server!/abc`, 400, 'M_INVALID_PARAM'],
    [`${CLIENT_MEDIA}/download/hs.test/doesNotExist`, 404, 'M_NOT_FOUND'],
    [`${CLIENT_MEDIA}/download/hs.test/abc?timeout_ms=soon`, 400, 'M_INVALID_PARAM'],
    [`${CLIENT_MEDIA}/thumbnail/hs.test/abc`, 400, 'M_MISSING_PARAM'],
    [`${CLIENT_MEDIA}/thumbnail/hs.test/abc?width=-1&height=2`, 400, 'M_INVALID_PARAM'],
    [`${CLIENT_MEDIA}/thumbnail/hs.test/abc?width=10&height=10&method=zoom`, 400, 'M_INVALID_PARAM'],
    [`${CLIENT_MEDIA}/thumbnail/hs.test/abc?width=10&height=10&animated=maybe`, 400, 'M_INVALID_PARAM'],
  ];
  for (const [path, status, errcode] of cases) {
    const res = await s.raw('GET', path, tok);
    t.is(res.status, status, path);
    t.is(((await res.json()) as { errcode: string }).errcode, errcode, path);
  }
  const badType = await s.raw('POST', `${MEDIA_V3}/upload`, { ...tok, body: Buffer.from('x'), headers: { 'Content-Type': 'not a type' } });
  t.is(badType.status, 400);
  const badName = await s.raw('POST', `${MEDIA_V3}/upload?filename=a%0Ab`, { ...tok, body: Buffer.from('x') });
  t.is(badName.status, 400);
  // A JSON body limit does not apply to media: a body larger than it uploads fine.
  t.truthy(await s.upload(randomBytes(2 * 1024 * 1024)));
});

test('an upload cut off by the client leaves no temporary file and no media', async (t) => {
  const s = await startMediaServer(t);
  const url = new URL(`${s.url}${MEDIA_V3}/upload`);
  await new Promise<void>((resolve) => {
    const req = http.request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { Authorization: `Bearer ${s.alice.accessToken}`, 'Content-Length': '100000' } });
    req.on('error', () => resolve());
    req.write(randomBytes(1000));
    setTimeout(() => {
      req.destroy();
      resolve();
    }, 200);
  });
  await new Promise((r) => setTimeout(r, 300));
  t.deepEqual(readdirSync(path.join(s.mediaDir, 'tmp')), []);
  t.is(await s.hs.database.db('media_items').count({ n: '*' }).first().then((r) => Number(r?.n)), 0);
  t.truthy(await s.upload(Buffer.from('still works')));
});
