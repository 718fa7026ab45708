import test from 'ava';
import { randomBytes } from 'node:crypto';
import sharp from 'sharp';
import type { TestServer } from '../helpers/server.js';
import { startFederation, type FederatedServer, type FederationNetwork } from '../helpers/federation.js';
import { createUser, USERS_TEST_ENV, type TestUser } from '../users/helpers.js';
import { bytesOf, CLIENT_MEDIA, makeImage, MEDIA_V3 } from './helpers.js';

/**
 * Remote media between two real servers over TLS: bob uploads on b.test, alice downloads through
 * a.test, which fetches from b.test's federation media endpoint with a signed request. a.test
 * accepts at most 100 kB (its upload limit bounds what it caches).
 */

const A_LIMIT = 100_000;
let net: FederationNetwork;
let alice: TestUser;
let bob: TestUser;

function testServer(s: FederatedServer): TestServer {
  return {
    hs: s.hs,
    url: s.hs.url,
    database: s.database,
    dataDir: s.dataDir,
    async request(method, urlPath, body, headers = {}) {
      const res = await fetch(`${s.hs.url}${urlPath}`, {
        method,
        headers: { ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}), ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
    },
  };
}

const a = () => net.server('a.test');
const b = () => net.server('b.test');

test.before(async () => {
  net = await startFederation(['a.test', 'b.test'], (name) => ({
    env: { ...USERS_TEST_ENV, HS_RATE_LIMIT_MEDIA_UPLOAD_BURST: '10000', ...(name === 'a.test' ? { HS_MEDIA_MAX_UPLOAD_BYTES: String(A_LIMIT) } : {}) },
  }));
  [alice, bob] = await Promise.all([createUser(testServer(a()), 'alice'), createUser(testServer(b()), 'bob')]);
});
test.after.always(() => net?.close());

async function uploadOnB(bytes: Uint8Array, contentType: string, filename?: string): Promise<string> {
  const q = filename === undefined ? '' : `?filename=${encodeURIComponent(filename)}`;
  const res = await fetch(`${b().hs.url}${MEDIA_V3}/upload${q}`, { method: 'POST', headers: { Authorization: `Bearer ${bob.accessToken}`, 'Content-Type': contentType }, body: bytes });
  const body = (await res.json()) as { content_uri: string };
  if (res.status !== 200) throw new Error(`upload: ${res.status} ${JSON.stringify(body)}`);
  return body.content_uri.replace('mxc://b.test/', '');
}

const get = (s: FederatedServer, user: TestUser, path: string): Promise<Response> => fetch(`${s.hs.url}${path}`, { headers: { Authorization: `Bearer ${user.accessToken}` } });

async function cachedRow(mediaId: string): Promise<{ sha256: string | null; user_id: string | null; size: number } | undefined> {
  return a().hs.database.db('media_items').where({ server_name: 'b.test', media_id: mediaId }).first('sha256', 'user_id', 'size');
}

async function errcode(res: Response): Promise<string> {
  return ((await res.json()) as { errcode: string }).errcode;
}

let pdfId: string;
let pdfBytes: Buffer;
let notFetchedId: string;

test.serial('a user on a.test downloads media uploaded on b.test: the exact bytes and headers, then cached', async (t) => {
  pdfBytes = randomBytes(60_000);
  pdfId = await uploadOnB(pdfBytes, 'application/pdf', 'café menu.pdf');
  const original = await get(b(), bob, `${CLIENT_MEDIA}/download/b.test/${pdfId}`);
  t.is(original.status, 200);

  const res = await get(a(), alice, `${CLIENT_MEDIA}/download/b.test/${pdfId}`);
  t.is(res.status, 200, await res.clone().text());
  t.deepEqual(await bytesOf(res), pdfBytes);
  for (const h of ['content-type', 'content-disposition', 'content-length']) t.is(res.headers.get(h), original.headers.get(h), h);
  t.is(res.headers.get('content-disposition'), `attachment; filename="caf_ menu.pdf"; filename*=utf-8''caf%C3%A9%20menu.pdf`);

  const row = await cachedRow(pdfId);
  t.truthy(row?.sha256, 'a.test keeps a copy');
  t.is(row!.user_id, null);
  t.is(Number(row!.size), pdfBytes.length);
});

test.serial('a thumbnail of a remote image is made from the cached original', async (t) => {
  const imageId = await uploadOnB(await makeImage(800, 600, 'png'), 'image/png');
  const res = await get(a(), alice, `${CLIENT_MEDIA}/thumbnail/b.test/${imageId}?width=96&height=96&method=crop`);
  t.is(res.status, 200, await res.clone().text());
  t.is(res.headers.get('content-type'), 'image/png');
  const meta = await sharp(await bytesOf(res)).metadata();
  t.deepEqual([meta.width, meta.height], [96, 96]);
  t.truthy((await cachedRow(imageId))?.sha256, 'the original was fetched and cached');
  const scaled = await get(a(), alice, `${CLIENT_MEDIA}/thumbnail/b.test/${imageId}?width=320&height=240&method=scale`);
  t.deepEqual(await sharp(await bytesOf(scaled)).metadata().then((m) => [m.width, m.height]), [320, 240]);
});

test.serial('remote media over the size limit: 502 M_TOO_LARGE, nothing cached', async (t) => {
  const bigId = await uploadOnB(randomBytes(A_LIMIT + 50_000), 'application/octet-stream');
  const res = await get(a(), alice, `${CLIENT_MEDIA}/download/b.test/${bigId}`);
  t.is(res.status, 502);
  t.is(await errcode(res), 'M_TOO_LARGE');
  t.is(await cachedRow(bigId), undefined);
});

test.serial('unknown remote media: 404 M_NOT_FOUND', async (t) => {
  const res = await get(a(), alice, `${CLIENT_MEDIA}/download/b.test/noSuchMedia123`);
  t.is(res.status, 404);
  t.is(await errcode(res), 'M_NOT_FOUND');
});

test.serial('with b.test down: cached media is still served, the rest is 502', async (t) => {
  notFetchedId = await uploadOnB(Buffer.from('never fetched by a.test'), 'text/plain');
  await b().stop();
  const cached = await get(a(), alice, `${CLIENT_MEDIA}/download/b.test/${pdfId}`);
  t.is(cached.status, 200);
  t.deepEqual(await bytesOf(cached), pdfBytes);

  const uncached = await get(a(), alice, `${CLIENT_MEDIA}/download/b.test/${notFetchedId}`);
  t.is(uncached.status, 502);
  t.is(await errcode(uncached), 'M_UNKNOWN');
  t.is(await cachedRow(notFetchedId), undefined);
});
