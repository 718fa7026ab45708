import type { Knex } from '../../../db/database.js';
import type { Logger } from '../../../log/logger.js';
import { LruCache } from '../../../util/lru.js';
import { mediaErrors } from '../errors.js';
import { mxcUri } from '../ids.js';
import { getPreview, putPreview, type OpenGraph } from '../storage/previews.js';
import type { Uploads } from '../uploads.js';
import { MatrixError } from '../../../http/errors.js';
import { FetchRefused, readLimited, type GuardedFetcher, type GuardedResponse } from './guarded-fetch.js';
import { decodeHtml, parseOpenGraph } from './opengraph.js';

export interface PreviewOptions {
  timeoutMs: number;
  maxBytes: number;
  cacheTtlMs: number;
}

const MAX_URL_LENGTH = 4096;

/**
 * GET preview_url: OpenGraph data of a web page, its image stored as media. Results are kept per
 * URL (without the fragment) for the configured time, in the database so every worker and a
 * restart share them; concurrent requests for one URL share one fetch.
 */
export class UrlPreviewer {
  private readonly inFlight = new Map<string, Promise<OpenGraph>>();
  /** Recent failures, so a client retrying a broken URL does not make us fetch it each time. */
  private readonly failures = new LruCache<string, { error: MatrixError; until: number }>(1024);

  constructor(
    private readonly db: Knex,
    private readonly fetcher: GuardedFetcher,
    private readonly uploads: Uploads,
    private readonly options: PreviewOptions,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  async preview(rawUrl: string, userId: string): Promise<OpenGraph> {
    const url = cacheKey(rawUrl);
    const cached = await getPreview(this.db, url, this.now());
    if (cached) return cached;
    const failed = this.failures.get(url);
    if (failed && failed.until > this.now()) throw failed.error;
    let pending = this.inFlight.get(url);
    if (!pending) {
      pending = this.build(url, userId).finally(() => this.inFlight.delete(url));
      this.inFlight.set(url, pending);
    }
    return pending;
  }

  private async build(url: string, userId: string): Promise<OpenGraph> {
    const signal = AbortSignal.timeout(this.options.timeoutMs);
    let og: OpenGraph;
    try {
      const res = await this.fetcher.get(url, { signal, accept: 'text/html,application/xhtml+xml,image/*;q=0.9,*/*;q=0.1' });
      og = await this.fromResponse(res, url, userId, signal);
    } catch (err) {
      const error = toMatrixError(err);
      this.log.debug({ err, url }, 'media: URL preview failed');
      this.failures.set(url, { error, until: this.now() + 60_000 });
      throw error;
    }
    await putPreview(this.db, url, og, this.now(), this.options.cacheTtlMs);
    return og;
  }

  private async fromResponse(res: GuardedResponse, url: string, userId: string, signal: AbortSignal): Promise<OpenGraph> {
    if (res.status < 200 || res.status >= 300) {
      res.body.destroy();
      throw new FetchRefused('failed', `the page answered HTTP ${res.status}`);
    }
    const type = res.contentType.toLowerCase();
    if (type.startsWith('image/')) return this.storeImage(res, url, userId);
    if (!type.startsWith('text/html') && !type.startsWith('application/xhtml+xml')) {
      res.body.destroy();
      return {};
    }
    if (res.contentLength !== undefined && res.contentLength > this.options.maxBytes) {
      res.body.destroy();
      throw new FetchRefused('too_large', 'the page is too large');
    }
    const html = decodeHtml(await readLimited(res.body, this.options.maxBytes), res.contentType);
    const og: OpenGraph = { ...parseOpenGraph(html) };
    const image = og['og:image'];
    delete og['og:image'];
    delete og['og:image:width'];
    delete og['og:image:height'];
    delete og['og:image:type'];
    if (typeof image === 'string' && image) {
      // The page works without its image: a broken or blocked one is left out.
      try {
        const imageUrl = new URL(image, res.url).href;
        const imgRes = await this.fetcher.get(imageUrl, { signal, accept: 'image/*' });
        if (imgRes.status >= 200 && imgRes.status < 300 && imgRes.contentType.toLowerCase().startsWith('image/')) {
          Object.assign(og, await this.storeImage(imgRes, url, userId));
        } else imgRes.body.destroy();
      } catch (err) {
        this.log.debug({ err, url, image }, 'media: preview image not fetched');
      }
    }
    return og;
  }

  /** Stores a fetched image as local media (owned by the asking user, as Synapse does). */
  private async storeImage(res: GuardedResponse, pageUrl: string, userId: string): Promise<OpenGraph> {
    if (res.contentLength !== undefined && res.contentLength > this.options.maxBytes) {
      res.body.destroy();
      throw new FetchRefused('too_large', 'the image is too large');
    }
    const file = await this.uploads.receive(res.body, undefined, this.options.maxBytes).catch((err: unknown) => {
      if (err instanceof MatrixError && err.errcode === 'M_TOO_LARGE') throw new FetchRefused('too_large', 'the image is too large');
      throw err;
    });
    const contentType = res.contentType.split(';')[0]!.trim();
    const name = decodeURIComponent(res.url.pathname.split('/').pop() ?? '').slice(0, 200) || null;
    const { key, stored } = await this.uploads.createWith(file, userId, { contentType, uploadName: name }, { url_cache: pageUrl });
    const og: OpenGraph = {
      'og:image': mxcUri(key.serverName, key.mediaId),
      'og:image:type': contentType,
      'matrix:image:size': stored.file.size,
    };
    if (stored.image) {
      og['og:image:width'] = stored.image.width;
      og['og:image:height'] = stored.image.height;
    }
    return og;
  }
}

/** The URL without its fragment (never sent to the server, so it cannot change the page). */
function cacheKey(raw: string): string {
  if (raw.length > MAX_URL_LENGTH) throw new MatrixError(400, 'M_INVALID_PARAM', 'The URL is too long');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new MatrixError(400, 'M_INVALID_PARAM', 'Not a valid URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new MatrixError(400, 'M_INVALID_PARAM', 'Only http and https URLs can be previewed');
  url.hash = '';
  return url.href;
}

function toMatrixError(err: unknown): MatrixError {
  if (err instanceof MatrixError) return err;
  if (err instanceof FetchRefused) {
    if (err.reason === 'blocked') return mediaErrors.previewForbidden(`URL blocked: ${err.message}`);
    if (err.reason === 'bad_url') return new MatrixError(400, 'M_INVALID_PARAM', err.message);
    if (err.reason === 'too_large') return new MatrixError(502, 'M_TOO_LARGE', err.message);
    return mediaErrors.previewFailed(`Could not preview the URL: ${err.message}`);
  }
  return mediaErrors.previewFailed('Could not preview the URL');
}
