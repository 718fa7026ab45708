import type { Knex } from '../../../db/database.js';
import type { Logger } from '../../../log/logger.js';
import type { ThumbnailSize } from '../../../config/media.js';
import { LruCache } from '../../../util/lru.js';
import { MatrixError } from '../../../http/errors.js';
import { contentKey, thumbnailKey, type BlobStore } from '../blobs/blob-store.js';
import type { TempFiles } from '../blobs/temp-files.js';
import { mediaErrors } from '../errors.js';
import type { ImageJobs } from '../images/image-jobs.js';
import { probeImage, type ImageInfo } from '../images/probe.js';
import { getThumbnail, insertThumbnail } from '../storage/thumbnails.js';
import { renderThumbnail, thumbnailFormat } from './render.js';
import { planThumbnails, selectThumbnail } from './select.js';

export interface ThumbnailRequest {
  width: number;
  height: number;
  method: 'crop' | 'scale';
  animated: boolean;
}

/** What to send: the original itself (already small enough) or a stored thumbnail. */
export type ThumbnailChoice =
  | { kind: 'original'; contentType: string }
  | { kind: 'thumbnail'; key: string; contentType: string; size: number };

const MIME: Record<ImageInfo['format'], string> = { jpeg: 'image/jpeg', png: 'image/png', webp: 'image/webp', gif: 'image/gif' };

/**
 * Thumbnails of stored content at the configured sizes, each made the first time it is asked
 * for, then stored and reused (by every media item with the same bytes).
 */
export class Thumbnailer {
  /** Probe results per content, including "not an image we can read" (null). */
  private readonly probes = new LruCache<string, ImageInfo | null>(2048);
  private readonly inFlight = new Map<string, Promise<ThumbnailChoice>>();

  constructor(
    private readonly db: Knex,
    private readonly blobs: BlobStore,
    private readonly temp: TempFiles,
    private readonly jobs: ImageJobs,
    private readonly options: { sizes: readonly ThumbnailSize[]; quality: number; maxImagePixels: number },
    private readonly log: Logger,
  ) {}

  async thumbnail(sha256: string, request: ThumbnailRequest, remote: boolean): Promise<ThumbnailChoice> {
    const image = await this.probe(sha256);
    if (!image) throw mediaErrors.cannotThumbnail();
    // "true" asks for animation where there is some; otherwise the first frame is the image.
    const animated = request.animated && image.pages > 1;
    const pixels = animated ? image.pixels : image.width * image.height;
    if (pixels > this.options.maxImagePixels) throw mediaErrors.tooLargeToThumbnail(remote);

    // The spec: content smaller than asked for is answered with the content itself.
    if (image.width <= request.width && image.height <= request.height && (animated || image.pages === 1)) {
      return { kind: 'original', contentType: MIME[image.format] };
    }
    const plan = selectThumbnail(planThumbnails(this.options.sizes, image.width, image.height), request.width, request.height, request.method);
    if (!plan) throw mediaErrors.cannotThumbnail();
    const spec = { sha256, width: plan.spec.width, height: plan.spec.height, method: plan.spec.method, animated };
    const format = thumbnailFormat(image, animated);
    const key = thumbnailKey(sha256, `${spec.width}x${spec.height}-${spec.method}${animated ? '-animated' : ''}.${format.extension}`);

    const stored = await getThumbnail(this.db, spec);
    if (stored) return { kind: 'thumbnail', key, contentType: stored.content_type, size: stored.size };

    // One generation per thumbnail however many ask at once.
    let pending = this.inFlight.get(key);
    if (!pending) {
      pending = this.generate(sha256, key, plan, image, animated, format.contentType).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
    }
    return pending;
  }

  /** Forgets what is known of content that was deleted. */
  forget(sha256: string): void {
    this.probes.delete(sha256);
  }

  private async probe(sha256: string): Promise<ImageInfo | undefined> {
    const cached = this.probes.get(sha256);
    if (cached !== undefined) return cached ?? undefined;
    const info = await this.blobs.withLocalFile(contentKey(sha256), (file) => probeImage(file));
    this.probes.set(sha256, info ?? null);
    return info;
  }

  private async generate(
    sha256: string,
    key: string,
    plan: ReturnType<typeof planThumbnails>[number],
    image: ImageInfo,
    animated: boolean,
    contentType: string,
  ): Promise<ThumbnailChoice> {
    const out = this.temp.newPath();
    try {
      const rendered = await this.jobs.run(() =>
        this.blobs.withLocalFile(contentKey(sha256), (file) =>
          renderThumbnail(file, out, plan, image, { animated, quality: this.options.quality, maxImagePixels: this.options.maxImagePixels }),
        ),
      );
      if (!rendered) throw mediaErrors.notFound();
      await this.blobs.put(key, out);
      await insertThumbnail(this.db, {
        sha256,
        width: plan.spec.width,
        height: plan.spec.height,
        method: plan.spec.method,
        animated,
        actual_width: rendered.width,
        actual_height: rendered.height,
        content_type: contentType,
        size: rendered.size,
      });
      return { kind: 'thumbnail', key, contentType, size: rendered.size };
    } catch (err) {
      await this.temp.remove(out);
      if (err instanceof MatrixError) throw err;
      // The header read fine but the pixels did not (truncated, corrupt): remember, and say so.
      this.log.info({ err, sha256 }, 'media: thumbnail generation failed');
      this.probes.set(sha256, null);
      throw mediaErrors.cannotThumbnail();
    }
  }
}
