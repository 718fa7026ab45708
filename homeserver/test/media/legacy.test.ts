import test from 'ava';
import { bytesOf, makeImage, MEDIA_V3, startMediaServer } from './helpers.js';

test('frozen from the start (the default): legacy download and thumbnail answer 404 for new media', async (t) => {
  const s = await startMediaServer(t);
  const { mediaId } = await s.upload(await makeImage(400, 300, 'png'), 'image/png');
  for (const path of [`${MEDIA_V3}/download/hs.test/${mediaId}`, `${MEDIA_V3}/download/hs.test/${mediaId}/x.png`, `${MEDIA_V3}/thumbnail/hs.test/${mediaId}?width=32&height=32&method=crop`]) {
    const res = await s.raw('GET', path);
    t.is(res.status, 404, path);
    t.is(((await res.json()) as { errcode: string }).errcode, 'M_NOT_FOUND');
  }
  t.is((await s.download('hs.test', mediaId)).status, 200, 'the authenticated endpoint serves it');
});

test('media from before the freeze date stays available without authentication; newer media does not', async (t) => {
  // A freeze date in the future: everything uploaded now counts as "before".
  const s = await startMediaServer(t, { HS_MEDIA_UNAUTHENTICATED_FROZEN_AFTER: '2999-01-01T00:00:00Z' });
  const img = await makeImage(400, 300, 'png');
  const { mediaId } = await s.upload(img, 'image/png', 'old.png');
  const res = await s.raw('GET', `${MEDIA_V3}/download/hs.test/${mediaId}`);
  t.is(res.status, 200);
  t.deepEqual(await bytesOf(res), img);
  t.is(res.headers.get('content-disposition'), 'inline; filename="old.png"');
  t.regex(res.headers.get('cache-control') ?? '', /^public/);
  const th = await s.raw('GET', `${MEDIA_V3}/thumbnail/hs.test/${mediaId}?width=32&height=32&method=crop`);
  t.is(th.status, 200);
  t.is(th.headers.get('content-type'), 'image/png');

  // Move the item past the freeze: now only the authenticated API has it.
  await s.hs.database.db('media_items').where({ media_id: mediaId }).update({ created_ts: Date.parse('2999-06-01T00:00:00Z') });
  t.is((await s.raw('GET', `${MEDIA_V3}/download/hs.test/${mediaId}`)).status, 404);
  t.is((await s.download('hs.test', mediaId)).status, 200);

  // Uncached remote media with allow_remote=false is not fetched.
  t.is((await s.raw('GET', `${MEDIA_V3}/download/remote.example/abc?allow_remote=false`)).status, 404);
});
