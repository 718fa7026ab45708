import test from 'ava';
import { Readable, type Transform } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import sharp from 'sharp';
import { loadConfig } from '../../src/config/load.js';
import { DEFAULT_THUMBNAIL_SIZES } from '../../src/config/media.js';
import { JpegMetadataStripper } from '../../src/components/media/images/jpeg-strip.js';
import { PngMetadataStripper } from '../../src/components/media/images/png-strip.js';
import { IpGuard } from '../../src/util/ip-ranges.js';
import { parseOpenGraph } from '../../src/components/media/preview/opengraph.js';
import { contentDisposition, isInlineSafe } from '../../src/components/media/serve/headers.js';
import { parseRange } from '../../src/components/media/serve/range.js';
import { planThumbnails, selectThumbnail } from '../../src/components/media/thumbnails/select.js';
import { CAMERA_EXIF, exifIfd0Tags, GPS_IFD_POINTER, pngChunks, XMP_GPS } from './exif.js';
import { makeImage } from './helpers.js';

test('parseRange', (t) => {
  t.deepEqual(parseRange('bytes=0-99', 1000), { start: 0, end: 99 });
  t.deepEqual(parseRange('bytes=900-5000', 1000), { start: 900, end: 999 });
  t.deepEqual(parseRange('bytes=-100', 1000), { start: 900, end: 999 });
  t.deepEqual(parseRange('bytes=-5000', 1000), { start: 0, end: 999 });
  t.is(parseRange('bytes=1000-', 1000), 'unsatisfiable');
  t.is(parseRange('bytes=-0', 1000), 'unsatisfiable');
  t.is(parseRange('bytes=5-3', 1000), undefined);
  t.is(parseRange('items=0-1', 1000), undefined);
  t.is(parseRange('bytes=0-1,4-5', 1000), undefined);
  t.is(parseRange(undefined, 1000), undefined);
});

test('Content-Disposition and the inline allow-list', (t) => {
  t.is(contentDisposition('inline', undefined), 'inline');
  t.is(contentDisposition('attachment', 'a b.pdf'), 'attachment; filename="a b.pdf"');
  t.is(contentDisposition('inline', 'ünï.png'), `inline; filename="_n_.png"; filename*=utf-8''%C3%BCn%C3%AF.png`);
  t.is(contentDisposition('inline', '100%.txt'), `inline; filename="100%.txt"; filename*=utf-8''100%25.txt`);
  t.is(contentDisposition('inline', 'x\r\ny.txt'), `inline; filename="x__y.txt"; filename*=utf-8''x%0D%0Ay.txt`);
  t.true(isInlineSafe('image/PNG'));
  t.true(isInlineSafe('text/plain; charset=utf-8'));
  for (const unsafe of ['text/html', 'image/svg+xml', 'application/xhtml+xml', 'application/javascript', 'application/pdf']) t.false(isInlineSafe(unsafe));
});

test('thumbnail plans never upscale, and selection follows the spec', (t) => {
  const plans = planThumbnails(DEFAULT_THUMBNAIL_SIZES, 1000, 500);
  t.deepEqual(
    plans.map((p) => [p.width, p.height]),
    [
      [32, 32],
      [96, 96],
      [320, 160],
      [640, 320],
      [800, 400],
    ],
  );
  const pick = (w: number, h: number, m: 'crop' | 'scale') => {
    const p = selectThumbnail(plans, w, h, m)!;
    return `${p.spec.width}x${p.spec.height}-${p.spec.method}`;
  };
  t.is(pick(32, 32, 'crop'), '32x32-crop');
  t.is(pick(40, 40, 'crop'), '96x96-crop');
  t.is(pick(300, 150, 'scale'), '320x240-scale');
  // 2:1 content fitted into 321×100 is 200×100: 320×160 covers it.
  t.is(pick(321, 100, 'scale'), '320x240-scale');
  t.is(pick(330, 250, 'scale'), '640x480-scale');
  t.is(pick(2000, 2000, 'scale'), '800x600-scale', 'the largest when nothing is as large as asked');
  // A tiny source: the crop box shrinks to fit, keeping its aspect.
  t.deepEqual(
    planThumbnails([{ width: 96, height: 96, method: 'crop' }], 50, 80).map((p) => [p.width, p.height]),
    [[50, 50]],
  );
  t.is(selectThumbnail(planThumbnails([{ width: 320, height: 240, method: 'scale' }], 800, 600), 32, 32, 'crop')?.spec.method, 'scale', 'falls back to the other method');
});

test('IP guard: denied ranges for v4 and v6, mapped addresses, the allow list', (t) => {
  const g = new IpGuard();
  for (const a of ['127.0.0.1', '10.0.0.1', '172.16.5.4', '192.168.0.1', '100.64.0.1', '169.254.169.254', '0.0.0.0', '224.0.0.1', '240.0.0.1', '255.255.255.255', '::1', '::', 'fe80::1', 'fc00::1', 'fd12::1', 'ff02::1', '::ffff:10.0.0.1', '::ffff:a00:1', '64:ff9b::a00:1', '2002:a00:1::', '2001:db8::1', '::7f00:1']) {
    t.false(g.isAllowed(a), a);
  }
  for (const a of ['93.184.216.34', '8.8.8.8', '2606:4700::6810:84e5', '::ffff:8.8.8.8']) t.true(g.isAllowed(a), a);
  const allow = new IpGuard(['127.0.0.0/8', 'fd00::/8']);
  t.true(allow.isAllowed('127.0.0.5'));
  t.true(allow.isAllowed('::ffff:127.0.0.5'));
  t.true(allow.isAllowed('fd00::1'));
  t.false(allow.isAllowed('10.0.0.1'));
  t.false(g.isAllowed('not-an-ip'));
});

test('OpenGraph parsing: attributes in any order and quoting, entities, fallbacks, scripts ignored', (t) => {
  const og = parseOpenGraph(`<html><head>
    <META content='First' property=og:title>
    <meta property="og:title" content="Second">
    <meta name="og:site_name" content="Site &amp; Co">
    <meta property="og:image:width" content="100">
    <!-- <meta property="og:description" content="commented out"> -->
    <script>document.write('<meta property="og:url" content="x">')</script>
    <title>Title</title><meta name="description" content="  Spaced
      out  ">
  </head></html>`);
  t.deepEqual(og, { 'og:title': 'First', 'og:site_name': 'Site & Co', 'og:image:width': '100', 'og:description': 'Spaced out' });
  t.deepEqual(parseOpenGraph('<title>T &lt;3</title>'), { 'og:title': 'T <3' });
  t.deepEqual(parseOpenGraph('no html at all'), {});
});

async function through(stripper: Transform, input: Buffer, chunk: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (let i = 0; i < input.length; i += chunk) parts.push(input.subarray(i, i + chunk));
  return buffer(Readable.from(parts).pipe(stripper));
}

test('the JPEG stripper gives the same result however the bytes are chunked, and refuses non-JPEG', async (t) => {
  const jpeg = await sharp(await makeImage(200, 150, 'jpeg'))
    .withExif(CAMERA_EXIF)
    .withXmp(XMP_GPS)
    .jpeg({ progressive: true })
    .toBuffer();
  // Trailing data after the image (phones append other pictures there).
  const input = Buffer.concat([jpeg, Buffer.from('TRAILING GPS DATA')]);
  const whole = await through(new JpegMetadataStripper(), input, input.length);
  for (const size of [1, 7, 4096]) t.deepEqual(await through(new JpegMetadataStripper(), input, size), whole, `chunks of ${size}`);
  t.false(whole.includes('GPS'));
  t.false(whole.includes('SecretCam'));
  const m = await sharp(whole).metadata();
  t.false(exifIfd0Tags(m.exif).includes(GPS_IFD_POINTER));
  t.deepEqual(await sharp(whole).raw().toBuffer(), await sharp(jpeg).raw().toBuffer());
  await t.throwsAsync(through(new JpegMetadataStripper(), Buffer.from('not a jpeg at all'), 4));
  await t.throwsAsync(through(new JpegMetadataStripper(), jpeg.subarray(0, 100), 50), { message: /ended/ });
});

test('the PNG stripper drops metadata chunks and keeps the rest, in any chunking', async (t) => {
  const png = await sharp(await makeImage(120, 90, 'png')).withExif(CAMERA_EXIF).withXmp(XMP_GPS).png().toBuffer();
  const whole = await through(new PngMetadataStripper(), png, png.length);
  t.deepEqual(await through(new PngMetadataStripper(), png, 3), whole);
  t.deepEqual(pngChunks(whole).filter((c) => ['eXIf', 'zTXt', 'tEXt', 'iTXt'].includes(c)), []);
  t.true(pngChunks(whole).includes('IDAT'));
  t.deepEqual(await sharp(whole).raw().toBuffer(), await sharp(png).raw().toBuffer());
});

test('media settings: defaults, parsing, and clear errors', (t) => {
  const c = loadConfig({ env: {} }).media;
  t.deepEqual(c.thumbnailSizes, DEFAULT_THUMBNAIL_SIZES);
  t.is(c.maxUploadBytes, 50 * 1024 * 1024);
  t.is(c.unauthenticatedFrozenAfterTs, 0);
  t.false(c.urlPreview.enabled);
  t.true(c.directory.endsWith('/data/media'));
  const custom = loadConfig({
    env: {
      HS_MEDIA_THUMBNAIL_SIZES: '64x64-crop, 1024x768-scale',
      HS_MEDIA_UNAUTHENTICATED_FROZEN_AFTER: '2024-09-01T00:00:00Z',
      HS_URL_PREVIEW_IP_RANGE_ALLOWLIST: '127.0.0.1/32,fd00::/8',
      HS_MEDIA_DIR: '/srv/media',
    },
  }).media;
  t.deepEqual(custom.thumbnailSizes, [
    { width: 64, height: 64, method: 'crop' },
    { width: 1024, height: 768, method: 'scale' },
  ]);
  t.is(custom.unauthenticatedFrozenAfterTs, Date.UTC(2024, 8, 1));
  t.deepEqual(custom.urlPreview.ipRangeAllowlist, ['127.0.0.1/32', 'fd00::/8']);
  t.is(custom.directory, '/srv/media');
  t.throws(() => loadConfig({ env: { HS_MEDIA_THUMBNAIL_SIZES: '64x64-zoom' } }), { message: /HS_MEDIA_THUMBNAIL_SIZES/ });
  t.throws(() => loadConfig({ env: { HS_URL_PREVIEW_IP_RANGE_ALLOWLIST: '10.0.0.0/33' } }), { message: /HS_URL_PREVIEW_IP_RANGE_ALLOWLIST/ });
  t.throws(() => loadConfig({ env: { HS_MEDIA_UNAUTHENTICATED_FROZEN_AFTER: 'someday' } }), { message: /HS_MEDIA_UNAUTHENTICATED_FROZEN_AFTER/ });
});
