import test from 'ava';
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { createUser } from '../users/helpers.js';
import { ADMIN, bytesOf, contentPath, makeImage, startMediaServer, type MediaTestServer } from './helpers.js';
import { CAMERA_EXIF, exifIfd0Tags, GPS_IFD_POINTER, pngChunks, XMP_GPS } from './exif.js';

async function storedBytes(s: MediaTestServer, mediaId: string): Promise<Buffer> {
  const row = (await s.hs.database.db('media_items').where({ media_id: mediaId }).first()) as { sha256: string };
  return readFileSync(contentPath(s.mediaDir, row.sha256));
}

const rawPixels = (img: Buffer): Promise<Buffer> => sharp(img).raw().toBuffer();

test('JPEG: EXIF GPS, camera data and XMP are gone from the stored and served file; pixels and orientation kept', async (t) => {
  const s = await startMediaServer(t);
  const original = await sharp(await makeImage(640, 480, 'jpeg')).withExif(CAMERA_EXIF).withXmp(XMP_GPS).jpeg().toBuffer();
  const before = await sharp(original).metadata();
  t.true(exifIfd0Tags(before.exif).includes(GPS_IFD_POINTER), 'the test image carries GPS');
  t.true(original.includes('SecretCam') && original.includes('GPSLatitude'));

  const { mediaId } = await s.upload(original, 'image/jpeg', 'holiday.jpg');
  const stored = await storedBytes(s, mediaId);
  const after = await sharp(stored).metadata();
  t.false(exifIfd0Tags(after.exif).includes(GPS_IFD_POINTER));
  t.is(after.xmp, undefined);
  t.false(stored.includes('SecretCam'));
  t.false(stored.includes('GPS'));
  t.deepEqual(await rawPixels(stored), await rawPixels(original), 'lossless: the compressed pixels were not touched');

  const served = await bytesOf(await s.download('hs.test', mediaId));
  t.deepEqual(served, stored);

  // Orientation survives on its own, so the photo still shows upright.
  const turned = await sharp(await makeImage(300, 200, 'jpeg')).withMetadata({ orientation: 8 }).withExif(CAMERA_EXIF).jpeg().toBuffer();
  const up = await s.upload(turned, 'image/jpeg');
  const m = await sharp(await storedBytes(s, up.mediaId)).metadata();
  t.is(m.orientation, 8);
  t.deepEqual(exifIfd0Tags(m.exif), [0x0112]);
});

test('PNG: eXIf and text chunks (XMP) are removed losslessly', async (t) => {
  const s = await startMediaServer(t);
  const original = await sharp(await makeImage(300, 200, 'png')).withExif(CAMERA_EXIF).withXmp(XMP_GPS).png().toBuffer();
  t.true(pngChunks(original).includes('eXIf'));
  const { mediaId } = await s.upload(original, 'image/png');
  const stored = await storedBytes(s, mediaId);
  const chunks = pngChunks(stored);
  for (const c of ['eXIf', 'tEXt', 'zTXt', 'iTXt']) t.false(chunks.includes(c), c);
  t.deepEqual(await rawPixels(stored), await rawPixels(original));
});

test('WebP with metadata is re-encoded without it', async (t) => {
  const s = await startMediaServer(t);
  const original = await sharp(await makeImage(300, 200, 'webp')).withExif(CAMERA_EXIF).webp().toBuffer();
  t.truthy((await sharp(original).metadata()).exif);
  const { mediaId } = await s.upload(original, 'image/webp');
  const m = await sharp(await storedBytes(s, mediaId)).metadata();
  t.is(m.exif, undefined);
  t.is(m.format, 'webp');
  t.deepEqual([m.width, m.height], [300, 200]);
});

test('large photos are scaled down to the configured size; the original is kept only when configured', async (t) => {
  const s = await startMediaServer(t, { HS_MEDIA_MAX_IMAGE_DIMENSION: '1000', HS_MEDIA_IMAGE_QUALITY: '70' });
  const big = await sharp(await makeImage(3000, 2000, 'jpeg')).withExif(CAMERA_EXIF).jpeg({ quality: 95 }).toBuffer();
  const { mediaId } = await s.upload(big, 'image/jpeg');
  const stored = await storedBytes(s, mediaId);
  const m = await sharp(stored).metadata();
  t.deepEqual([m.width, m.height], [1000, 667]);
  t.false(exifIfd0Tags(m.exif).includes(GPS_IFD_POINTER));
  t.true(stored.length < big.length);
  t.is(s.storedFiles().length, 1, 'the original was not kept');
  const row = await s.hs.database.db('media_items').where({ media_id: mediaId }).first();
  t.is(row.size, stored.length);
  // PNG (screenshots, diagrams) is never scaled.
  const png = await s.upload(await makeImage(1500, 1200, 'png'), 'image/png');
  t.is((await sharp(await storedBytes(s, png.mediaId)).metadata()).width, 1500);

  const keep = await startMediaServer(t, { HS_MEDIA_MAX_IMAGE_DIMENSION: '1000', HS_MEDIA_KEEP_ORIGINAL: 'true' });
  const kept = await keep.upload(big, 'image/jpeg');
  const keptRow = await keep.hs.database.db('media_items').where({ media_id: kept.mediaId }).first();
  t.truthy(keptRow.original_sha256);
  t.deepEqual(readFileSync(contentPath(keep.mediaDir, keptRow.original_sha256)), big);
  t.is(keep.storedFiles().length, 2);
});

test('files that are not declared images are stored byte for byte (encrypted attachments, "send as file")', async (t) => {
  const s = await startMediaServer(t);
  const original = await sharp(await makeImage(300, 200, 'jpeg')).withExif(CAMERA_EXIF).jpeg().toBuffer();
  const { mediaId } = await s.upload(original, 'application/octet-stream');
  t.deepEqual(await storedBytes(s, mediaId), original);
});

test('deduplication: identical uploads share one file; deleting one keeps it for the other', async (t) => {
  const s = await startMediaServer(t);
  const admin = await createUser(s, 'root', { admin: true });
  const bob = await createUser(s, 'bob');
  const img = await sharp(await makeImage(400, 300, 'jpeg')).withExif(CAMERA_EXIF).jpeg().toBuffer();
  const a = await s.upload(img, 'image/jpeg', 'a.jpg');
  const b = await s.upload(img, 'image/jpeg', 'b.jpg', bob);
  t.not(a.mediaId, b.mediaId);
  t.is(s.storedFiles().length, 1);
  const content = await s.hs.database.db('media_content').select('*');
  t.is(content.length, 1);
  t.is(content[0].refs, 2);

  const del = await s.raw('DELETE', `${ADMIN}/media/hs.test/${a.mediaId}`, { token: admin.accessToken });
  t.deepEqual(await del.json(), { deleted_media: [a.mediaId], total: 1 });
  t.is((await s.download('hs.test', a.mediaId)).status, 404);
  const stillThere = await s.download('hs.test', b.mediaId, bob);
  t.is(stillThere.status, 200);
  t.is(s.storedFiles().length, 1);

  await s.raw('DELETE', `${ADMIN}/media/hs.test/${b.mediaId}`, { token: admin.accessToken });
  t.deepEqual(s.storedFiles(), []);
  t.is((await s.hs.database.db('media_content').select('*')).length, 0);
});
