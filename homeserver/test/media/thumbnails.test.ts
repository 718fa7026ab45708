import test from 'ava';
import sharp from 'sharp';
import { bytesOf, CLIENT_MEDIA, makeAnimation, makeImage, startMediaServer, type MediaTestServer } from './helpers.js';

const SIZES: Array<[number, number, 'crop' | 'scale']> = [
  [32, 32, 'crop'],
  [96, 96, 'crop'],
  [320, 240, 'scale'],
  [640, 480, 'scale'],
  [800, 600, 'scale'],
];

async function thumb(s: MediaTestServer, mediaId: string, w: number, h: number, method: string, animated?: boolean): Promise<Response> {
  const q = `width=${w}&height=${h}&method=${method}${animated === undefined ? '' : `&animated=${animated}`}`;
  return s.raw('GET', `${CLIENT_MEDIA}/thumbnail/hs.test/${mediaId}?${q}`, { token: s.alice.accessToken });
}

/** What the spec asks of each configured size for a 1600×1200 source. */
const EXPECTED: Record<string, [number, number]> = {
  '32x32-crop': [32, 32],
  '96x96-crop': [96, 96],
  '320x240-scale': [320, 240],
  '640x480-scale': [640, 480],
  '800x600-scale': [800, 600],
};

for (const format of ['png', 'jpeg', 'webp'] as const) {
  test(`${format}: every configured size and method, dimensions as the spec says`, async (t) => {
    const s = await startMediaServer(t);
    const { mediaId } = await s.upload(await makeImage(1600, 1200, format), `image/${format}`);
    for (const [w, h, method] of SIZES) {
      const res = await thumb(s, mediaId, w, h, method);
      t.is(res.status, 200, `${w}x${h} ${method}`);
      const meta = await sharp(await bytesOf(res)).metadata();
      t.deepEqual([meta.width, meta.height], EXPECTED[`${w}x${h}-${method}`], `${w}x${h} ${method}`);
      t.is(res.headers.get('content-type'), format === 'jpeg' ? 'image/jpeg' : format === 'webp' ? 'image/webp' : 'image/png');
      t.regex(res.headers.get('content-disposition') ?? '', /^inline; filename="thumbnail\.(png|jpg|webp)"$/);
      t.is(res.headers.get('x-content-type-options'), 'nosniff');
    }
    // A size between two configured ones gets the next larger; never smaller than asked.
    const mid = await sharp(await bytesOf(await thumb(s, mediaId, 400, 300, 'scale'))).metadata();
    t.deepEqual([mid.width, mid.height], [640, 480]);
    const crop = await sharp(await bytesOf(await thumb(s, mediaId, 50, 50, 'crop'))).metadata();
    t.deepEqual([crop.width, crop.height], [96, 96]);
  });
}

test('scale keeps the aspect ratio of a tall image; crop fills the box; nothing is upscaled', async (t) => {
  const s = await startMediaServer(t);
  const { mediaId } = await s.upload(await makeImage(300, 900, 'png'), 'image/png');
  const scaled = await sharp(await bytesOf(await thumb(s, mediaId, 320, 240, 'scale'))).metadata();
  t.deepEqual([scaled.width, scaled.height], [80, 240]);
  const cropped = await sharp(await bytesOf(await thumb(s, mediaId, 96, 96, 'crop'))).metadata();
  t.deepEqual([cropped.width, cropped.height], [96, 96]);

  // Smaller than asked: the original itself.
  const small = await makeImage(20, 10, 'png');
  const tiny = await s.upload(small, 'image/png');
  const res = await thumb(s, tiny.mediaId, 32, 32, 'crop');
  t.is(res.status, 200);
  t.deepEqual(await bytesOf(res), small);
  t.regex(res.headers.get('content-disposition') ?? '', /^inline/);
});

test('thumbnails are generated once and stored; identical uploads share them', async (t) => {
  const s = await startMediaServer(t);
  const img = await makeImage(1000, 800, 'jpeg');
  const a = await s.upload(img, 'image/jpeg');
  const b = await s.upload(img, 'image/jpeg');
  const first = await bytesOf(await thumb(s, a.mediaId, 320, 240, 'scale'));
  const second = await bytesOf(await thumb(s, b.mediaId, 320, 240, 'scale'));
  t.deepEqual(first, second);
  const rows = await s.hs.database.db('media_thumbnails').select('*');
  t.is(rows.length, 1);
});

test('animated GIF and WebP stay animated with animated=true, one frame otherwise', async (t) => {
  const s = await startMediaServer(t);
  for (const format of ['gif', 'webp'] as const) {
    const { mediaId } = await s.upload(await makeAnimation(400, 300, 3, format), `image/${format}`);
    for (const [w, h, method] of [[96, 96, 'crop'] as const, [320, 240, 'scale'] as const]) {
      const anim = await thumb(s, mediaId, w, h, method, true);
      t.is(anim.status, 200);
      t.is(anim.headers.get('content-type'), 'image/webp');
      const m = await sharp(await bytesOf(anim), { animated: true }).metadata();
      t.is(m.pages, 3, `${format} ${method} animated`);
      t.deepEqual([m.width, m.pageHeight], method === 'crop' ? [96, 96] : [320, 240]);

      for (const animated of [false, undefined]) {
        const still = await thumb(s, mediaId, w, h, method, animated);
        t.is(still.status, 200);
        const sm = await sharp(await bytesOf(still), { animated: true }).metadata();
        t.is(sm.pages ?? 1, 1, `${format} ${method} animated=${animated}`);
        t.deepEqual([sm.width, sm.height], method === 'crop' ? [96, 96] : [320, 240]);
      }
    }
  }
  // animated=true on a still image behaves like false.
  const { mediaId } = await s.upload(await makeImage(400, 300, 'jpeg'), 'image/jpeg');
  const res = await thumb(s, mediaId, 96, 96, 'crop', true);
  t.is(res.headers.get('content-type'), 'image/jpeg');
});

test('EXIF orientation is applied to thumbnails', async (t) => {
  const s = await startMediaServer(t);
  // Stored 400 wide, 200 high, shown rotated by 90°: 200 wide, 400 high.
  const rotated = await sharp(await makeImage(400, 200, 'jpeg')).withMetadata({ orientation: 6 }).jpeg().toBuffer();
  const { mediaId } = await s.upload(rotated, 'image/jpeg');
  const m = await sharp(await bytesOf(await thumb(s, mediaId, 320, 240, 'scale'))).metadata();
  t.deepEqual([m.width, m.height], [120, 240]);
  t.is(m.orientation ?? 1, 1);
});

test('corrupt and non-image content: 400 M_UNKNOWN, not a crash; the server keeps working', async (t) => {
  const s = await startMediaServer(t);
  const garbage = await s.upload(Buffer.from('definitely not a PNG'), 'image/png');
  const res = await thumb(s, garbage.mediaId, 96, 96, 'crop');
  t.is(res.status, 400);
  t.is(((await res.json()) as { errcode: string }).errcode, 'M_UNKNOWN');

  // A real header, then the pixels cut short.
  const whole = await makeImage(800, 600, 'png');
  const truncated = await s.upload(whole.subarray(0, Math.floor(whole.length / 2)), 'image/png');
  const res2 = await thumb(s, truncated.mediaId, 320, 240, 'scale');
  t.is(res2.status, 400);

  const pdf = await s.upload(Buffer.from('%PDF-1.4'), 'application/pdf');
  t.is((await thumb(s, pdf.mediaId, 96, 96, 'crop')).status, 400);

  const ok = await s.upload(await makeImage(500, 500, 'png'), 'image/png');
  t.is((await thumb(s, ok.mediaId, 96, 96, 'crop')).status, 200);
});

test('images over the pixel limit are not thumbnailed: 413 M_TOO_LARGE', async (t) => {
  const s = await startMediaServer(t, { HS_MEDIA_MAX_IMAGE_PIXELS: '10000' });
  const { mediaId } = await s.upload(await makeImage(200, 200, 'png'), 'image/png');
  const res = await thumb(s, mediaId, 32, 32, 'crop');
  t.is(res.status, 413);
  t.is(((await res.json()) as { errcode: string }).errcode, 'M_TOO_LARGE');
});
