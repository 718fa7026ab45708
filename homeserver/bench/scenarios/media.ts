import { randomBytes } from 'node:crypto';
import sharp from 'sharp';
import { request } from 'undici';
import { agent, percentile, round } from '../lib/client.js';
import { startTrivialServer } from '../lib/trivial.js';

export interface MediaBenchOptions {
  images?: number;
  /** Uploads (and thumbnail requests) in flight at once. */
  concurrency?: number;
}

/** About 5 MB: 1290×1290 RGB noise, which PNG cannot compress. */
const SIDE = 1290;

async function noisePng(): Promise<Buffer> {
  return sharp(randomBytes(SIDE * SIDE * 3), { raw: { width: SIDE, height: SIDE, channels: 3 } })
    .png({ compressionLevel: 1 })
    .toBuffer();
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await fn();
  return { ms: performance.now() - start, value };
}

async function pool<T>(items: T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let next = queue.shift(); next !== undefined; next = queue.shift()) await fn(next);
    }),
  );
}

const summary = (ms: number[]): Record<string, number> => {
  const s = [...ms].sort((a, b) => a - b);
  return { p50: round(percentile(s, 50)), p95: round(percentile(s, 95)), max: round(s[s.length - 1] ?? NaN) };
};

/**
 * Media throughput against a running server: uploads `images` (100) distinct ~5 MB generated PNGs
 * (distinct so deduplication does not flatter the numbers), then asks for a 320×240 thumbnail of
 * each twice: the first request generates and stores it, the second is served from storage.
 * Images are generated before timing starts. `token` is any user's access token; the upload rate
 * limit (HS_RATE_LIMIT_MEDIA_UPLOAD_BURST) must allow `images` uploads. Answers JSON-ready
 * numbers for the bench runner, which the integrator wires in.
 */
export async function mediaBench(serverUrl: string, token: string, options: MediaBenchOptions = {}): Promise<Record<string, unknown>> {
  const count = options.images ?? 100;
  const concurrency = options.concurrency ?? 4;
  const headers = { authorization: `Bearer ${token}` };

  const images: Buffer[] = [];
  for (let i = 0; i < count; i++) images.push(await noisePng());
  const totalBytes = images.reduce((n, b) => n + b.length, 0);

  const uploadMs: number[] = [];
  const mediaIds: string[] = [];
  const uploads = await timed(() =>
    pool(images, concurrency, async (img) => {
      const { ms, value } = await timed(async () => {
        const res = await request(`${serverUrl}/_matrix/media/v3/upload?filename=bench.png`, {
          method: 'POST',
          dispatcher: agent,
          headers: { ...headers, 'content-type': 'image/png' },
          body: img,
        });
        const body = (await res.body.json()) as { content_uri?: string };
        if (res.statusCode !== 200 || !body.content_uri) throw new Error(`upload: ${res.statusCode} ${JSON.stringify(body)}`);
        return body.content_uri.slice('mxc://'.length);
      });
      uploadMs.push(ms);
      mediaIds.push(value);
    }),
  );

  const thumbnail = async (id: string, into: number[]): Promise<void> => {
    const { ms } = await timed(async () => {
      const res = await request(`${serverUrl}/_matrix/client/v1/media/thumbnail/${id}?width=320&height=240&method=scale`, { dispatcher: agent, headers });
      await res.body.arrayBuffer();
      if (res.statusCode !== 200) throw new Error(`thumbnail: ${res.statusCode}`);
    });
    into.push(ms);
  };
  const generateMs: number[] = [];
  const generated = await timed(() => pool(mediaIds, concurrency, (id) => thumbnail(id, generateMs)));
  const cachedMs: number[] = [];
  await pool(mediaIds, concurrency, (id) => thumbnail(id, cachedMs));

  const floor = await mediaFloor(images, concurrency);
  const uploadMbPerSecond = totalBytes / 1e6 / (uploads.ms / 1000);
  const thumbnailsPerSecond = count / (generated.ms / 1000);
  return {
    images: count,
    concurrency,
    mbUploaded: round(totalBytes / 1e6),
    uploadMbPerSecond: round(uploadMbPerSecond),
    uploadMs: summary(uploadMs),
    thumbnailsPerSecond: round(thumbnailsPerSecond),
    thumbnailFirstMs: summary(generateMs),
    thumbnailStoredMs: summary(cachedMs),
    limit: {
      what: 'upload: the same bodies POSTed to a trivial server process (MB/s); thumbnails: sharp resizing the same images in memory to 240x240 PNG (per s), same concurrency',
      value: { uploadMbPerSecond: round(floor.uploadMbPerSecond), thumbnailsPerSecond: round(floor.thumbnailsPerSecond) },
    },
    ratio_of_limit: { upload: round(uploadMbPerSecond / floor.uploadMbPerSecond, 4), thumbnails: round(thumbnailsPerSecond / floor.thumbnailsPerSecond, 4) },
  };
}

/** What the machine does with the same images and no server: moving the bytes, and resizing them. */
async function mediaFloor(images: Buffer[], concurrency: number): Promise<{ uploadMbPerSecond: number; thumbnailsPerSecond: number }> {
  const totalBytes = images.reduce((n, b) => n + b.length, 0);
  const trivial = await startTrivialServer();
  try {
    const upload = await timed(() =>
      pool(images, concurrency, async (img) => {
        const res = await request(`${trivial.url}/upload`, { method: 'POST', dispatcher: agent, headers: { 'content-type': 'image/png' }, body: img });
        await res.body.arrayBuffer();
      }),
    );
    const resize = await timed(() =>
      pool(images, concurrency, async (img) => {
        await sharp(img).resize(240, 240, { fit: 'fill' }).png({ compressionLevel: 6 }).toBuffer();
      }),
    );
    return { uploadMbPerSecond: totalBytes / 1e6 / (upload.ms / 1000), thumbnailsPerSecond: images.length / (resize.ms / 1000) };
  } finally {
    await trivial.stop();
  }
}
