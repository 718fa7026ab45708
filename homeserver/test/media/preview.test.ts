import test from 'ava';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import type { ExecutionContext } from 'ava';
import { GuardedFetcher, FetchRefused } from '../../src/components/media/preview/guarded-fetch.js';
import { IpGuard } from '../../src/util/ip-ranges.js';
import { bytesOf, CLIENT_MEDIA, makeImage, MEDIA_V3, startMediaServer, type MediaTestServer } from './helpers.js';
import { CAMERA_EXIF, exifIfd0Tags, GPS_IFD_POINTER } from './exif.js';

interface Site {
  port: number;
  hits: Map<string, number>;
  lastHost: string | undefined;
}

/** A small web site on loopback, for the preview code to fetch. */
async function startSite(t: ExecutionContext, image: Buffer): Promise<Site> {
  const site: Site = { port: 0, hits: new Map(), lastHost: undefined };
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    site.hits.set(path, (site.hits.get(path) ?? 0) + 1);
    site.lastHost = req.headers.host;
    if (path === '/page') {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end(`<!doctype html><html><head><title>Ignored title</title>
        <meta property="og:title" content="Caf&eacute; &amp; Friends &#x2615;">
        <meta property='og:description' content="A &quot;nice&quot; place">
        <meta property="og:image" content="/img.png">
        <meta property="og:type" content="website">
        <script>var s = '<meta property="og:title" content="from a script">';</script>
        </head><body>hello</body></html>`);
    } else if (path === '/plain') {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end('<html><head><title>Just a title</title><meta name="description" content="Described"></head></html>');
    } else if (path === '/img.png') {
      res.writeHead(200, { 'Content-Type': 'image/png' });
      res.end(image);
    } else if (path === '/redirect-ok') {
      res.writeHead(302, { Location: '/plain' });
      res.end();
    } else if (path === '/redirect-private') {
      res.writeHead(302, { Location: `http://127.0.0.2:${site.port}/plain` });
      res.end();
    } else if (path === '/redirect-v6') {
      res.writeHead(301, { Location: `http://[::1]:${site.port}/plain` });
      res.end();
    } else if (path === '/private-image') {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end(`<meta property="og:title" content="Has a private image"><meta property="og:image" content="http://10.0.0.1/secret.png">`);
    } else if (path === '/big') {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end(`<title>big</title>${'x'.repeat(300_000)}`);
    } else if (path === '/file.zip') {
      res.writeHead(200, { 'Content-Type': 'application/zip' });
      res.end('PK');
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  site.port = (server.address() as AddressInfo).port;
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return site;
}

const preview = async (s: MediaTestServer, url: string, prefix = CLIENT_MEDIA): Promise<{ status: number; body: Record<string, any> }> => {
  const res = await s.raw('GET', `${prefix}/preview_url?url=${encodeURIComponent(url)}`, { token: s.alice.accessToken });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
};

test('OpenGraph of a page on an allow-listed address, its image stored (cleaned) as media, cached per URL', async (t) => {
  const image = await sharp(await makeImage(120, 80, 'jpeg')).withExif(CAMERA_EXIF).jpeg().toBuffer();
  const site = await startSite(t, image);
  const s = await startMediaServer(t, { HS_URL_PREVIEW_ENABLED: '1', HS_URL_PREVIEW_IP_RANGE_ALLOWLIST: '127.0.0.1/32', HS_URL_PREVIEW_MAX_BYTES: '100000' });
  const base = `http://127.0.0.1:${site.port}`;

  const r = await preview(s, `${base}/page#section`);
  t.is(r.status, 200);
  t.is(r.body['og:title'], 'Café & Friends ☕');
  t.is(r.body['og:description'], 'A "nice" place');
  t.is(r.body['og:type'], 'website');
  t.regex(r.body['og:image'], /^mxc:\/\/hs\.test\/[A-Za-z0-9]+$/);
  t.is(r.body['og:image:type'], 'image/png');
  t.is(r.body['og:image:width'], 120);
  t.is(r.body['og:image:height'], 80);
  t.is(typeof r.body['matrix:image:size'], 'number');

  const mediaId = (r.body['og:image'] as string).split('/').pop()!;
  const img = await s.download('hs.test', mediaId);
  t.is(img.status, 200);
  const served = await bytesOf(img);
  t.is(r.body['matrix:image:size'], served.length);
  t.false(exifIfd0Tags((await sharp(served).metadata()).exif).includes(GPS_IFD_POINTER), 'preview images are cleaned like uploads');

  // Cached: the legacy path and a second request do not fetch the page again.
  const again = await preview(s, `${base}/page`, MEDIA_V3);
  t.deepEqual(again.body, r.body);
  t.is(site.hits.get('/page'), 1);

  const plain = await preview(s, `${base}/redirect-ok`);
  t.deepEqual(plain.body, { 'og:title': 'Just a title', 'og:description': 'Described' });

  // A page whose image is on a private address: the page, without the image.
  const priv = await preview(s, `${base}/private-image`);
  t.deepEqual(priv.body, { 'og:title': 'Has a private image' });

  // Images directly; other types give an empty object.
  const direct = await preview(s, `${base}/img.png`);
  t.regex(direct.body['og:image'], /^mxc:\/\//);
  t.deepEqual((await preview(s, `${base}/file.zip`)).body, {});

  const big = await preview(s, `${base}/big`);
  t.is(big.status, 502);
  t.is(big.body.errcode, 'M_TOO_LARGE');
});

test('SSRF: loopback, private, link-local, IPv4-mapped IPv6 and redirects to them are refused by default', async (t) => {
  const site = await startSite(t, await makeImage(10, 10, 'png'));
  const s = await startMediaServer(t, { HS_URL_PREVIEW_ENABLED: '1' });
  const p = site.port;
  for (const url of [
    `http://127.0.0.1:${p}/page`,
    `http://localhost:${p}/page`,
    `http://[::1]:${p}/page`,
    `http://[::ffff:127.0.0.1]:${p}/page`,
    `http://[::ffff:7f00:1]:${p}/page`,
    `http://0x7f000001:${p}/page`,
    `http://2130706433:${p}/page`,
    'http://10.1.2.3/',
    'http://192.168.1.1/',
    'http://169.254.169.254/latest/meta-data/',
    'http://100.64.0.1/',
    'http://[fd00::1]/',
    'http://[64:ff9b::7f00:1]/',
    'http://0.0.0.0/',
  ]) {
    const r = await preview(s, url);
    t.is(r.status, 403, url);
    t.is(r.body.errcode, 'M_FORBIDDEN', url);
  }
  t.is(site.hits.size, 0, 'nothing reached the local site');

  // With loopback 127.0.0.1 allowed, a redirect elsewhere on loopback (or to ::1) is still refused.
  const allowed = await startMediaServer(t, { HS_URL_PREVIEW_ENABLED: '1', HS_URL_PREVIEW_IP_RANGE_ALLOWLIST: '127.0.0.1/32' });
  for (const path of ['/redirect-private', '/redirect-v6']) {
    const r = await preview(allowed, `http://127.0.0.1:${p}${path}`);
    t.is(r.status, 403, path);
  }
  t.is(site.hits.get('/plain'), undefined, 'the redirect target was never fetched');
});

test('previews: off by default (404 M_UNRECOGNIZED); bad URLs are 400', async (t) => {
  const off = await startMediaServer(t);
  const r = await preview(off, 'https://example.org/');
  t.is(r.status, 404);
  t.is(r.body.errcode, 'M_UNRECOGNIZED');

  const on = await startMediaServer(t, { HS_URL_PREVIEW_ENABLED: '1' });
  t.is((await on.raw('GET', `${CLIENT_MEDIA}/preview_url`, { token: on.alice.accessToken })).status, 400);
  t.is((await preview(on, 'ftp://example.org/file')).status, 400);
  t.is((await preview(on, 'not a url')).status, 400);
  const badTs = await on.raw('GET', `${CLIENT_MEDIA}/preview_url?url=https://example.org/&ts=yesterday`, { token: on.alice.accessToken });
  t.is(badTs.status, 400);
});

test('the connection goes to the address that was checked (DNS pinning); mixed answers are refused', async (t) => {
  const site = await startSite(t, await makeImage(10, 10, 'png'));
  let calls = 0;
  // First answer allowed, later answers private: a rebinding attack. Only the first is ever asked.
  const rebinding = new GuardedFetcher(new IpGuard(['127.0.0.1/32']), async () => {
    calls++;
    return calls === 1 ? [{ address: '127.0.0.1', family: 4 }] : [{ address: '10.0.0.1', family: 4 }];
  });
  const res = await rebinding.get(`http://pinned.test:${site.port}/plain`, { signal: AbortSignal.timeout(5000), accept: 'text/html' });
  t.is(res.status, 200);
  res.body.destroy();
  t.is(calls, 1);
  t.is(site.lastHost, `pinned.test:${site.port}`, 'the Host header keeps the name');

  const mixed = new GuardedFetcher(new IpGuard(), async () => [
    { address: '93.184.216.34', family: 4 },
    { address: '127.0.0.1', family: 4 },
  ]);
  const err = await t.throwsAsync(mixed.get('http://mixed.test/', { signal: AbortSignal.timeout(5000), accept: '*/*' }));
  t.true(err instanceof FetchRefused && err.reason === 'blocked');
});
