import { createReadStream, createWriteStream } from 'node:fs';
import type { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import sharp from 'sharp';
import type { Logger } from '../../../log/logger.js';
import { hashFile, type ReceivedFile } from '../blobs/receive.js';
import type { TempFiles } from '../blobs/temp-files.js';
import type { ImageJobs } from './image-jobs.js';
import { JpegMetadataStripper } from './jpeg-strip.js';
import { PngMetadataStripper } from './png-strip.js';
import { probeImage, type ImageInfo } from './probe.js';

export interface SanitizeOptions {
  maxImagePixels: number;
  /** 0: never scale down. */
  maxImageDimension: number;
  quality: number;
}

export interface Sanitized {
  /** What to store and serve. */
  file: ReceivedFile;
  /** The upload as received, when `file` differs from it. */
  original: ReceivedFile | undefined;
  image: ImageInfo | undefined;
}

/**
 * Makes an uploaded image safe to share: location, camera and other metadata removed, and photos
 * larger than the configured size scaled down. JPEG and PNG metadata is cut out losslessly; only
 * scaling (and WebP, whose container we do not edit) re-encodes. Anything that is not an image we
 * decode, or that fails, is stored as received.
 */
export class ImageSanitizer {
  constructor(
    private readonly temp: TempFiles,
    private readonly jobs: ImageJobs,
    private readonly options: SanitizeOptions,
    private readonly log: Logger,
  ) {}

  async sanitize(upload: ReceivedFile, declaredType: string): Promise<Sanitized> {
    // Only what the client calls an image: an `application/octet-stream` file (an encrypted
    // attachment, a "send as file") must arrive byte for byte.
    if (!declaredType.toLowerCase().startsWith('image/')) return { file: upload, original: undefined, image: undefined };
    const image = await probeImage(upload.path);
    if (!image) return { file: upload, original: undefined, image: undefined };
    const out = await this.rewrite(upload.path, image).catch((err: unknown) => {
      this.log.warn({ err, format: image.format }, 'media: could not sanitise an image; storing it as uploaded');
      return undefined;
    });
    if (!out) return { file: upload, original: undefined, image };
    const hashed = await hashFile(out);
    const file = { path: out, ...hashed };
    return { file, original: upload, image: (await probeImage(out)) ?? image };
  }

  /** Writes the cleaned image to a new temporary file; undefined when nothing needs changing. */
  private async rewrite(input: string, image: ImageInfo): Promise<string | undefined> {
    const { maxImageDimension: maxDim, maxImagePixels } = this.options;
    const tooBig = maxDim > 0 && Math.max(image.width, image.height) > maxDim && image.pixels <= maxImagePixels;
    const photo = image.format === 'jpeg' || image.format === 'webp';
    if (photo && tooBig) {
      const done = await this.reencode(input, image, maxDim).catch(() => undefined);
      if (done) return done;
    }
    if (!image.hasMetadata) return undefined;
    if (image.format === 'jpeg') return this.strip(input, new JpegMetadataStripper(image.orientation));
    if (image.format === 'png') return this.strip(input, new PngMetadataStripper());
    if (image.format === 'webp' && image.pixels <= maxImagePixels) return this.reencode(input, image, 0);
    return undefined;
  }

  private async strip(input: string, stripper: Transform): Promise<string> {
    const out = this.temp.newPath();
    try {
      await pipeline(createReadStream(input), stripper, createWriteStream(out, { flags: 'wx' }));
    } catch (err) {
      await this.temp.remove(out);
      throw err;
    }
    return out;
  }

  /** Decodes and encodes again in the same format; sharp writes no metadata unless asked. */
  private async reencode(input: string, image: ImageInfo, maxDim: number): Promise<string> {
    const out = this.temp.newPath();
    const animated = image.pages > 1;
    try {
      await this.jobs.run(async () => {
        let p = sharp(input, { animated, limitInputPixels: this.options.maxImagePixels, failOn: 'error' });
        if (!animated) p = p.autoOrient();
        if (maxDim > 0) p = p.resize({ width: maxDim, height: maxDim, fit: 'inside', withoutEnlargement: true });
        p = image.format === 'jpeg' ? p.jpeg({ quality: this.options.quality }) : p.webp({ quality: this.options.quality });
        await p.toFile(out);
      });
    } catch (err) {
      await this.temp.remove(out);
      throw err;
    }
    return out;
  }
}
