import test from 'ava';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { RemoteMediaFetcher } from '../../src/components/media/api.js';
import { createUser, enc } from '../users/helpers.js';
import { ADMIN, makeImage, startMediaServer } from './helpers.js';

const C = '/_matrix/client/v3';
let txn = 0;

test('room media admin API: lists the media a room refers to and quarantines it (copies and cached remote media included)', async (t) => {
  const remoteBytes = randomBytes(2000);
  const fetcher: RemoteMediaFetcher = {
    async fetch() {
      return { contentType: 'application/octet-stream', filename: undefined, body: Readable.from([remoteBytes]) };
    },
  };
  const s = await startMediaServer(t, {}, { media: { remoteFetcher: fetcher } });
  const root = await createUser(s, 'root', { admin: true });
  const as = (token: string) => ({ Authorization: `Bearer ${token}` });
  const send = async (roomId: string, type: string, content: unknown): Promise<string> => {
    const res = await s.request('PUT', `${C}/rooms/${enc(roomId)}/send/${type}/t${txn++}`, content, as(s.alice.accessToken));
    t.is(res.status, 200, JSON.stringify(res.body));
    return res.body.event_id as string;
  };

  const imageBytes = await makeImage(300, 200, 'png');
  const image = await s.upload(imageBytes, 'image/png');
  const thumb = await s.upload(await makeImage(30, 20, 'png'), 'image/png');
  const file = await s.upload(randomBytes(1000), 'application/pdf', 'doc.pdf');
  const redactedFile = await s.upload(randomBytes(1000), 'application/octet-stream');
  const elsewhere = await s.upload(randomBytes(1000), 'application/octet-stream');
  const copyOfImage = await s.upload(imageBytes, 'image/png');
  t.is((await s.download('remote.example', 'remoteOne')).status, 200, 'remote media cached');

  const room = await s.request('POST', `${C}/createRoom`, { preset: 'private_chat' }, as(s.alice.accessToken));
  const roomId = room.body.room_id as string;
  await send(roomId, 'm.room.message', { msgtype: 'm.image', body: 'pic', url: image.mxc, info: { thumbnail_url: thumb.mxc } });
  await send(roomId, 'm.room.message', { msgtype: 'm.file', body: 'doc', url: file.mxc });
  await send(roomId, 'm.sticker', { body: 'remote', url: 'mxc://remote.example/remoteOne', info: {} });
  await send(roomId, 'm.room.message', { msgtype: 'm.text', body: 'not media', url: 'https://example.org/x.png' });
  await send(roomId, 'm.room.message', { msgtype: 'm.image', body: 'bad', url: 'mxc://remote.example/../etc', info: null });
  const avatar = await s.request('PUT', `${C}/rooms/${enc(roomId)}/state/m.room.avatar/`, { url: image.mxc }, as(s.alice.accessToken));
  t.is(avatar.status, 200);
  const doomed = await send(roomId, 'm.room.message', { msgtype: 'm.file', body: 'oops', url: redactedFile.mxc });
  const redaction = await s.request('PUT', `${C}/rooms/${enc(roomId)}/redact/${enc(doomed)}/r${txn++}`, {}, as(s.alice.accessToken));
  t.is(redaction.status, 200);

  const list = await s.request('GET', `${ADMIN}/room/${enc(roomId)}/media`, undefined, as(root.accessToken));
  t.is(list.status, 200);
  t.deepEqual((list.body.local as string[]).sort(), [image.mxc, thumb.mxc, file.mxc, redactedFile.mxc].sort(), 'redacted events still count');
  t.deepEqual(list.body.remote, ['mxc://remote.example/remoteOne']);

  t.is((await s.request('GET', `${ADMIN}/room/${enc(roomId)}/media`, undefined, as(s.alice.accessToken))).status, 403);
  const unknown = await s.request('GET', `${ADMIN}/room/${enc('!nope:hs.test')}/media`, undefined, as(root.accessToken));
  t.is(unknown.status, 404);
  t.is(unknown.body.errcode, 'M_NOT_FOUND');
  t.is((await s.request('POST', `${ADMIN}/room/not-a-room/media/quarantine`, {}, as(root.accessToken))).status, 400);

  const q = await s.request('POST', `${ADMIN}/room/${enc(roomId)}/media/quarantine`, {}, as(root.accessToken));
  t.is(q.status, 200);
  // Five items in the room (one remote) and the copy of the image elsewhere.
  t.deepEqual(q.body, { num_quarantined: 6 });
  for (const m of [image, thumb, file, redactedFile, copyOfImage]) t.is((await s.download(m.serverName, m.mediaId)).status, 404, m.mxc);
  t.is((await s.download('remote.example', 'remoteOne')).status, 404);
  t.is((await s.download(elsewhere.serverName, elsewhere.mediaId)).status, 200, 'media outside the room is untouched');
  const info = await s.request('GET', `${ADMIN}/media/hs.test/${image.mediaId}`, undefined, as(root.accessToken));
  t.is(info.body.media_info.quarantined_by, root.userId);
});
