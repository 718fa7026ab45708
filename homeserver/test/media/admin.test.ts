import test from 'ava';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { RemoteMediaFetcher } from '../../src/components/media/api.js';
import { createUser, enc } from '../users/helpers.js';
import { ADMIN, makeImage, startMediaServer } from './helpers.js';

test('admin endpoints need an admin: 401 without a token, 403 for others', async (t) => {
  const s = await startMediaServer(t);
  const { mediaId } = await s.upload(Buffer.from('x'));
  const paths: Array<[string, string]> = [
    ['POST', `${ADMIN}/media/quarantine/hs.test/${mediaId}`],
    ['POST', `${ADMIN}/media/unquarantine/hs.test/${mediaId}`],
    ['DELETE', `${ADMIN}/media/hs.test/${mediaId}`],
    ['POST', `${ADMIN}/media/delete?before_ts=1`],
    ['POST', `${ADMIN}/purge_media_cache?before_ts=1`],
    ['GET', `${ADMIN}/users/${enc(s.alice.userId)}/media`],
  ];
  for (const [method, path] of paths) {
    t.is((await s.raw(method, path)).status, 401, path);
    const res = await s.raw(method, path, { token: s.alice.accessToken });
    t.is(res.status, 403, path);
  }
});

test('quarantine by ID follows the bytes; admins can bypass; unquarantine restores; protected media is exempt', async (t) => {
  const s = await startMediaServer(t, { HS_MEDIA_UNAUTHENTICATED_FROZEN_AFTER: '2999-01-01' });
  const root = await createUser(s, 'root', { admin: true });
  const bytes = randomBytes(1000);
  const a = await s.upload(bytes, 'image/png');
  const b = await s.upload(bytes, 'image/png');
  const other = await s.upload(randomBytes(1000), 'image/png');

  const q = await s.raw('POST', `${ADMIN}/media/quarantine/hs.test/${a.mediaId}`, { token: root.accessToken, body: '{}' });
  t.deepEqual(await q.json(), {});
  t.is((await s.download('hs.test', a.mediaId)).status, 404);
  t.is((await s.download('hs.test', b.mediaId)).status, 404, 'the same bytes under another ID are quarantined too');
  t.is((await s.raw('GET', `/_matrix/media/v3/download/hs.test/${a.mediaId}`)).status, 404);
  t.is((await s.download('hs.test', other.mediaId)).status, 200);
  const later = await s.upload(bytes, 'image/png');
  t.is((await s.download('hs.test', later.mediaId)).status, 404, 'a later upload of the bytes arrives quarantined');

  const bypass = `/_matrix/client/v1/media/download/hs.test/${a.mediaId}?admin_unsafely_bypass_quarantine=true`;
  t.is((await s.raw('GET', bypass, { token: root.accessToken })).status, 200);
  t.is((await s.raw('GET', bypass, { token: s.alice.accessToken })).status, 404, 'not for non-admins');

  const info = await s.raw('GET', `${ADMIN}/media/hs.test/${a.mediaId}`, { token: root.accessToken });
  const mediaInfo = ((await info.json()) as { media_info: Record<string, unknown> }).media_info;
  t.like(mediaInfo, { media_origin: 'hs.test', media_id: a.mediaId, user_id: s.alice.userId, media_type: 'image/png', media_length: 1000, quarantined_by: root.userId, authenticated: false, safe_from_quarantine: false });

  await s.raw('POST', `${ADMIN}/media/unquarantine/hs.test/${a.mediaId}`, { token: root.accessToken, body: '{}' });
  for (const m of [a, b, later]) t.is((await s.download('hs.test', m.mediaId)).status, 200);

  await s.raw('POST', `${ADMIN}/media/protect/${other.mediaId}`, { token: root.accessToken, body: '{}' });
  await s.raw('POST', `${ADMIN}/media/quarantine/hs.test/${other.mediaId}`, { token: root.accessToken, body: '{}' });
  t.is((await s.download('hs.test', other.mediaId)).status, 200, 'protected');
  await s.raw('POST', `${ADMIN}/media/unprotect/${other.mediaId}`, { token: root.accessToken, body: '{}' });
  await s.raw('POST', `${ADMIN}/media/quarantine/hs.test/${other.mediaId}`, { token: root.accessToken, body: '{}' });
  t.is((await s.download('hs.test', other.mediaId)).status, 404);

  const bob = await createUser(s, 'bob');
  await s.upload(Buffer.from('b1'), 'text/plain', undefined, bob);
  await s.upload(Buffer.from('b2'), 'text/plain', undefined, bob);
  const qu = await s.raw('POST', `${ADMIN}/user/${enc(bob.userId)}/media/quarantine`, { token: root.accessToken, body: '{}' });
  t.deepEqual(await qu.json(), { num_quarantined: 2 });
});

test('list a user\'s media (Synapse shape, paged, ordered) and delete it', async (t) => {
  const s = await startMediaServer(t);
  const root = await createUser(s, 'root', { admin: true });
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) {
    ids.push((await s.upload(Buffer.alloc(10 + i, i), 'application/octet-stream', `f${i}.bin`)).mediaId);
    await new Promise((r) => setTimeout(r, 5));
  }
  const list = async (q: string) => (await (await s.raw('GET', `${ADMIN}/users/${enc(s.alice.userId)}/media${q}`, { token: root.accessToken })).json()) as any;
  const first = await list('?limit=2');
  t.is(first.total, 5);
  t.is(first.next_token, 2);
  t.deepEqual(first.media.map((m: any) => m.media_id), [ids[4], ids[3]], 'newest first by default');
  t.deepEqual(Object.keys(first.media[0]).sort(), ['created_ts', 'last_access_ts', 'media_id', 'media_length', 'media_type', 'quarantined_by', 'safe_from_quarantine', 'upload_name']);
  const last = await list('?from=4&limit=2');
  t.is(last.next_token, undefined);
  t.is(last.media.length, 1);
  const bySize = await list('?order_by=media_length&dir=f');
  t.deepEqual(bySize.media.map((m: any) => m.media_length), [10, 11, 12, 13, 14]);
  t.is((await s.raw('GET', `${ADMIN}/users/${enc(s.alice.userId)}/media?order_by=bogus`, { token: root.accessToken })).status, 400);
  t.is((await s.raw('GET', `${ADMIN}/users/${enc('@x:elsewhere.example')}/media`, { token: root.accessToken })).status, 400);

  const del = await s.raw('DELETE', `${ADMIN}/users/${enc(s.alice.userId)}/media`, { token: root.accessToken });
  const deleted = (await del.json()) as { deleted_media: string[]; total: number };
  t.is(deleted.total, 5);
  t.deepEqual(s.storedFiles(), []);
});

test('delete local media by date and size, keeping avatars; delete one item; remote media cannot be deleted that way', async (t) => {
  const s = await startMediaServer(t);
  const root = await createUser(s, 'root', { admin: true });
  const old = await s.upload(randomBytes(100));
  const avatar = await s.upload(await makeImage(64, 64, 'png'), 'image/png');
  await s.raw('PUT', `/_matrix/client/v3/profile/${enc(s.alice.userId)}/avatar_url`, { token: s.alice.accessToken, body: JSON.stringify({ avatar_url: avatar.mxc }), headers: { 'Content-Type': 'application/json' } });
  const cutoff = Date.now() + 1;
  await new Promise((r) => setTimeout(r, 5));
  const fresh = await s.upload(randomBytes(100));

  t.is((await s.raw('POST', `${ADMIN}/media/delete`, { token: root.accessToken })).status, 400, 'before_ts is required');
  const res = await s.raw('POST', `${ADMIN}/media/delete?before_ts=${cutoff}`, { token: root.accessToken, body: '{}' });
  t.deepEqual(await res.json(), { deleted_media: [old.mediaId], total: 1 });
  // Checked in the database: a download would count as a use and make the item recent.
  const left = await s.hs.database.db('media_items').orderBy('media_id').pluck('media_id');
  t.deepEqual(left, [avatar.mediaId, fresh.mediaId].sort(), 'the avatar in use and the recent upload were kept');

  const withProfiles = await s.raw('POST', `${ADMIN}/media/hs.test/delete?before_ts=${cutoff}&keep_profiles=false`, { token: root.accessToken, body: '{}' });
  t.deepEqual(await withProfiles.json(), { deleted_media: [avatar.mediaId], total: 1 });

  const big = await s.raw('POST', `${ADMIN}/media/delete?before_ts=${Date.now() + 1000}&size_gt=1000`, { token: root.accessToken, body: '{}' });
  t.deepEqual(await big.json(), { deleted_media: [], total: 0 });

  t.is((await s.raw('DELETE', `${ADMIN}/media/hs.test/nothingHere`, { token: root.accessToken })).status, 404);
  t.is((await s.raw('DELETE', `${ADMIN}/media/remote.example/abc`, { token: root.accessToken })).status, 400);
});

test('purge cached remote media not used since a date', async (t) => {
  const fetcher: RemoteMediaFetcher = {
    async fetch() {
      return { contentType: 'application/octet-stream', filename: undefined, body: Readable.from([randomBytes(500)]) };
    },
  };
  const s = await startMediaServer(t, {}, { media: { remoteFetcher: fetcher } });
  const root = await createUser(s, 'root', { admin: true });
  t.is((await s.download('remote.example', 'one')).status, 200);
  t.is((await s.download('remote.example', 'two')).status, 200);
  const local = await s.upload(randomBytes(100));
  t.is(s.storedFiles().length, 3);
  await s.hs.database.db('media_items').where({ server_name: 'remote.example', media_id: 'one' }).update({ last_access_ts: 1000, created_ts: 500 });

  const res = await s.raw('POST', `${ADMIN}/purge_media_cache?before_ts=${Date.now() - 60_000}`, { token: root.accessToken, body: '{}' });
  t.deepEqual(await res.json(), { deleted: 1 });
  t.is(s.storedFiles().length, 2);
  t.is((await s.download('hs.test', local.mediaId)).status, 200, 'local media is never purged as cache');
  // Asked again, it is fetched again.
  t.is((await s.download('remote.example', 'one')).status, 200);
});
