import test from 'ava';
import { createUser } from '../users/helpers.js';
import { bytesOf, CLIENT_MEDIA, MEDIA_V3, startMediaServer } from './helpers.js';

const CREATE = '/_matrix/media/v1/create';

test('create, then PUT the bytes once; only the creator may; a second PUT is 409', async (t) => {
  const s = await startMediaServer(t);
  const bob = await createUser(s, 'bob');
  const before = Date.now();
  const created = await s.raw('POST', CREATE, { token: s.alice.accessToken, body: '{}', headers: { 'Content-Type': 'application/json' } });
  t.is(created.status, 200);
  const body = (await created.json()) as { content_uri: string; unused_expires_at: number };
  t.regex(body.content_uri, /^mxc:\/\/hs\.test\/[A-Za-z0-9]{24}$/);
  t.true(body.unused_expires_at >= before + 23 * 3600_000);
  const mediaId = body.content_uri.split('/').pop()!;

  // Not uploaded yet: 504 M_NOT_YET_UPLOADED once the (short) wait is over.
  const early = await s.raw('GET', `${CLIENT_MEDIA}/download/hs.test/${mediaId}?timeout_ms=200`, { token: s.alice.accessToken });
  t.is(early.status, 504);
  t.is(((await early.json()) as { errcode: string }).errcode, 'M_NOT_YET_UPLOADED');

  const other = await s.raw('PUT', `${MEDIA_V3}/upload/hs.test/${mediaId}`, { token: bob.accessToken, body: Buffer.from('bob'), headers: { 'Content-Type': 'text/plain' } });
  t.is(other.status, 403);
  t.is(((await other.json()) as { errcode: string }).errcode, 'M_FORBIDDEN');

  const put = await s.raw('PUT', `${MEDIA_V3}/upload/hs.test/${mediaId}?filename=notes.txt`, { token: s.alice.accessToken, body: Buffer.from('hello async'), headers: { 'Content-Type': 'text/plain' } });
  t.is(put.status, 200);
  t.deepEqual(await put.json(), {});

  const again = await s.raw('PUT', `${MEDIA_V3}/upload/hs.test/${mediaId}`, { token: s.alice.accessToken, body: Buffer.from('again') });
  t.is(again.status, 409);
  t.is(((await again.json()) as { errcode: string }).errcode, 'M_CANNOT_OVERWRITE_MEDIA');

  const res = await s.download('hs.test', mediaId);
  t.is(res.status, 200);
  t.is((await bytesOf(res)).toString(), 'hello async');
  t.is(res.headers.get('content-disposition'), 'inline; filename="notes.txt"');

  const unknown = await s.raw('PUT', `${MEDIA_V3}/upload/hs.test/neverCreated`, { token: s.alice.accessToken, body: Buffer.from('x') });
  t.is(unknown.status, 404);
  const foreign = await s.raw('PUT', `${MEDIA_V3}/upload/other.example/${mediaId}`, { token: s.alice.accessToken, body: Buffer.from('x') });
  t.is(foreign.status, 404);
});

test('a download waiting with timeout_ms gets the bytes as soon as they arrive', async (t) => {
  const s = await startMediaServer(t);
  const created = (await (await s.raw('POST', CREATE, { token: s.alice.accessToken })).json()) as { content_uri: string };
  const mediaId = created.content_uri.split('/').pop()!;
  const waiting = s.raw('GET', `${CLIENT_MEDIA}/download/hs.test/${mediaId}?timeout_ms=10000`, { token: s.alice.accessToken });
  await new Promise((r) => setTimeout(r, 300));
  const started = Date.now();
  await s.raw('PUT', `${MEDIA_V3}/upload/hs.test/${mediaId}`, { token: s.alice.accessToken, body: Buffer.from('late bytes'), headers: { 'Content-Type': 'text/plain' } });
  const res = await waiting;
  t.is(res.status, 200);
  t.is((await bytesOf(res)).toString(), 'late bytes');
  t.true(Date.now() - started < 3000);
});

test('at most 5 pending uploads per user (429), and expired IDs are gone (404)', async (t) => {
  const s = await startMediaServer(t);
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) {
    const r = await s.raw('POST', CREATE, { token: s.alice.accessToken });
    t.is(r.status, 200);
    ids.push(((await r.json()) as { content_uri: string }).content_uri.split('/').pop()!);
  }
  const sixth = await s.raw('POST', CREATE, { token: s.alice.accessToken });
  t.is(sixth.status, 429);
  t.is(((await sixth.json()) as { errcode: string }).errcode, 'M_LIMIT_EXCEEDED');

  // Expire one by hand: its PUT is 404 and a new slot opens.
  await s.hs.database.db('media_items').where({ media_id: ids[0] }).update({ expires_ts: Date.now() - 1 });
  const put = await s.raw('PUT', `${MEDIA_V3}/upload/hs.test/${ids[0]}`, { token: s.alice.accessToken, body: Buffer.from('x') });
  t.is(put.status, 404);
  t.is((await s.raw('GET', `${CLIENT_MEDIA}/download/hs.test/${ids[0]}`, { token: s.alice.accessToken })).status, 404);
  t.is((await s.raw('POST', CREATE, { token: s.alice.accessToken })).status, 200);
});
