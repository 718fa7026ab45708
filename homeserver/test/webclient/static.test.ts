import test, { type ExecutionContext } from 'ava';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startTestServer } from '../helpers/server.js';

const INDEX = '<!doctype html><title>Hearth</title><div id="root"></div>';

/** A stand-in for client/dist: the tests must not depend on the real client being built. */
function fakeBuild(t: ExecutionContext): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'hearth-webclient-'));
  mkdirSync(path.join(dir, 'assets'));
  writeFileSync(path.join(dir, 'index.html'), INDEX);
  writeFileSync(path.join(dir, 'assets', 'index-abc123.js'), 'console.log(1)');
  writeFileSync(path.join(dir, 'assets', 'index-abc123.css'), 'body{}');
  writeFileSync(path.join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const get = (url: string, init?: RequestInit) => fetch(url, init);

test('serves index.html at / and for client routes, revalidated and with a CSP', async (t) => {
  const s = await startTestServer(t, { HS_WEBCLIENT_DIR: fakeBuild(t) });
  for (const p of ['/', '/login', '/room/!abc:hs.test', '/settings']) {
    const res = await get(`${s.url}${p}`);
    t.is(res.status, 200, p);
    t.is(res.headers.get('content-type'), 'text/html; charset=utf-8', p);
    t.is(res.headers.get('cache-control'), 'no-cache', p);
    t.regex(res.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    t.is(await res.text(), INDEX, p);
  }
});

test('assets get their content types; hashed assets are cached for a year', async (t) => {
  const s = await startTestServer(t, { HS_WEBCLIENT_DIR: fakeBuild(t) });
  const js = await get(`${s.url}/assets/index-abc123.js`);
  t.is(js.status, 200);
  t.is(js.headers.get('content-type'), 'text/javascript; charset=utf-8');
  t.is(js.headers.get('cache-control'), 'public, max-age=31536000, immutable');
  t.is(js.headers.get('x-content-type-options'), 'nosniff');
  t.is(await js.text(), 'console.log(1)');
  const css = await get(`${s.url}/assets/index-abc123.css`);
  t.is(css.headers.get('content-type'), 'text/css; charset=utf-8');
  const svg = await get(`${s.url}/favicon.svg`);
  t.is(svg.headers.get('content-type'), 'image/svg+xml');
  t.is(svg.headers.get('cache-control'), 'no-cache');
});

test('a missing file is a 404, not the app', async (t) => {
  const s = await startTestServer(t, { HS_WEBCLIENT_DIR: fakeBuild(t) });
  const res = await s.request('GET', '/assets/index-gone.js');
  t.is(res.status, 404);
  t.is(res.body.errcode, 'M_UNRECOGNIZED');
});

test('never shadows the API prefixes: unknown API paths stay Matrix JSON errors', async (t) => {
  const s = await startTestServer(t, { HS_WEBCLIENT_DIR: fakeBuild(t) });
  for (const p of ['/_matrix/client/v3/not-an-endpoint', '/_matrix', '/_synapse/admin/v1/nothing', '/.well-known/matrix/nothing', '/_matrix/media/v3/config.js']) {
    const res = await s.request('GET', p);
    t.is(res.status, 404, p);
    t.is(res.body.errcode, 'M_UNRECOGNIZED', p);
    t.regex(res.headers.get('content-type') ?? '', /application\/json/, p);
  }
  const versions = await s.request('GET', '/_matrix/client/versions');
  t.is(versions.status, 200);
  t.true(Array.isArray(versions.body.versions));
  const wellKnown = await s.request('GET', '/.well-known/matrix/client');
  t.is(wellKnown.status, 200);
  const wrongMethod = await s.request('POST', '/_matrix/client/versions', {});
  t.is(wrongMethod.status, 405);
});

test('only GET and HEAD: other methods on app paths are Matrix 404s', async (t) => {
  const s = await startTestServer(t, { HS_WEBCLIENT_DIR: fakeBuild(t) });
  const post = await s.request('POST', '/', {});
  t.is(post.status, 404);
  t.is(post.body.errcode, 'M_UNRECOGNIZED');
  const head = await get(`${s.url}/`, { method: 'HEAD' });
  t.is(head.status, 200);
  t.is(head.headers.get('content-length'), String(Buffer.byteLength(INDEX)));
  t.is(await head.text(), '');
});

test('conditional requests get 304', async (t) => {
  const s = await startTestServer(t, { HS_WEBCLIENT_DIR: fakeBuild(t) });
  const first = await get(`${s.url}/assets/index-abc123.js`);
  const etag = first.headers.get('etag');
  t.truthy(etag);
  const again = await get(`${s.url}/assets/index-abc123.js`, { headers: { 'If-None-Match': etag! } });
  t.is(again.status, 304);
});

test('paths cannot escape the client folder', async (t) => {
  const dir = fakeBuild(t);
  writeFileSync(path.join(path.dirname(dir), `${path.basename(dir)}-secret.txt`), 'secret');
  t.teardown(() => rmSync(path.join(path.dirname(dir), `${path.basename(dir)}-secret.txt`), { force: true }));
  const s = await startTestServer(t, { HS_WEBCLIENT_DIR: dir });
  for (const p of [`/..%2f${path.basename(dir)}-secret.txt`, `/%2e%2e/${path.basename(dir)}-secret.txt`, '/..%2f..%2f..%2fetc%2fpasswd']) {
    const res = await get(`${s.url}${p}`);
    const text = await res.text();
    t.false(text.includes('secret'), p);
    t.false(text.includes('root:'), p);
  }
});

test('turned off, or without a build, / is an ordinary unknown path', async (t) => {
  const off = await startTestServer(t, { HS_WEBCLIENT_DIR: fakeBuild(t), HS_WEBCLIENT_ENABLED: '0' });
  const a = await off.request('GET', '/');
  t.is(a.status, 404);
  t.is(a.body.errcode, 'M_UNRECOGNIZED');
  const empty = mkdtempSync(path.join(tmpdir(), 'hearth-webclient-empty-'));
  t.teardown(() => rmSync(empty, { recursive: true, force: true }));
  const missing = await startTestServer(t, { HS_WEBCLIENT_DIR: empty });
  const b = await missing.request('GET', '/login');
  t.is(b.status, 404);
  t.is(b.body.errcode, 'M_UNRECOGNIZED');
});

test('text and WebAssembly are gzipped for clients that accept it', async (t) => {
  const dir = fakeBuild(t);
  const big = 'console.log("hearth");\n'.repeat(2000);
  writeFileSync(path.join(dir, 'assets', 'big-1.js'), big);
  const s = await startTestServer(t, { HS_WEBCLIENT_DIR: dir });
  const { gunzipSync } = await import('node:zlib');
  const { request } = await import('undici');
  const res = await request(`${s.url}/assets/big-1.js`, { headers: { 'accept-encoding': 'gzip' } });
  t.is(res.headers['content-encoding'], 'gzip');
  t.regex(String(res.headers.vary), /Accept-Encoding/);
  const body = Buffer.from(await res.body.arrayBuffer());
  t.true(body.length < big.length / 10);
  t.is(gunzipSync(body).toString(), big);
  const plain = await request(`${s.url}/assets/big-1.js`, { headers: { 'accept-encoding': 'identity' } });
  t.is(plain.headers['content-encoding'], undefined);
  t.is(await plain.body.text(), big);
});
