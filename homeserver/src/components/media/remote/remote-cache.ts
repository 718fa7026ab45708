import type { Logger } from '../../../log/logger.js';
import { RemoteMediaError, type RemoteMediaFetcher } from '../api.js';
import { SizeLimitExceeded } from '../blobs/receive.js';
import { mediaErrors } from '../errors.js';
import { getMedia, type MediaKey, type MediaRow } from '../storage/media.js';
import type { Knex } from '../../../db/database.js';
import type { Uploads } from '../uploads.js';
import { receiveToTempFile } from '../blobs/receive.js';
import type { TempFiles } from '../blobs/temp-files.js';

/** Longest we wait for a remote server, whatever `timeout_ms` asks. */
const MAX_REMOTE_TIMEOUT_MS = 60_000;

/**
 * Remote media for our clients: fetched once from its origin through the fetcher (federation by
 * default), stored like local content (so thumbnails and deduplication work the same), and served
 * from the cache afterwards until an admin purges it. Without a fetcher, uncached remote media
 * answers 404 with a message that says why.
 */
export class RemoteMediaCache {
  private readonly inFlight = new Map<string, Promise<MediaRow>>();

  constructor(
    private readonly db: Knex,
    private readonly fetcher: RemoteMediaFetcher | undefined,
    private readonly uploads: Uploads,
    private readonly temp: TempFiles,
    private readonly maxBytes: number,
    private readonly log: Logger,
  ) {}

  /** The cached row, fetching it first when needed (one fetch however many ask at once). */
  async get(key: MediaKey, timeoutMs: number): Promise<MediaRow> {
    const id = `${key.serverName}/${key.mediaId}`;
    let pending = this.inFlight.get(id);
    if (!pending) {
      pending = this.fetchAndStore(key, Math.min(timeoutMs, MAX_REMOTE_TIMEOUT_MS)).finally(() => this.inFlight.delete(id));
      this.inFlight.set(id, pending);
    }
    return pending;
  }

  private async fetchAndStore(key: MediaKey, timeoutMs: number): Promise<MediaRow> {
    if (!this.fetcher) throw mediaErrors.notFound('Remote media is not available: this server does not fetch media over federation');
    const signal = AbortSignal.timeout(Math.max(1000, timeoutMs));
    try {
      const remote = await this.fetcher.fetch(key.serverName, key.mediaId, { maxBytes: this.maxBytes, timeoutMs, signal });
      const file = await receiveToTempFile(remote.body, this.temp, this.maxBytes);
      await this.uploads.cacheRemote(key, file, { contentType: remote.contentType || 'application/octet-stream', uploadName: remote.filename ?? null });
    } catch (err) {
      if (err instanceof RemoteMediaError) {
        if (err.kind === 'not_found') throw mediaErrors.notFound('Remote media not found');
        if (err.kind === 'too_large') throw mediaErrors.remoteTooLarge();
        throw mediaErrors.remoteUnavailable(`Could not fetch remote media: ${err.message}`);
      }
      if (err instanceof SizeLimitExceeded) throw mediaErrors.remoteTooLarge();
      // A concurrent request of another worker may have stored it first (primary key).
      const raced = await getMedia(this.db, key);
      if (raced?.sha256) return raced;
      this.log.warn({ err, serverName: key.serverName, mediaId: key.mediaId }, 'media: remote fetch failed');
      throw mediaErrors.remoteUnavailable();
    }
    const row = await getMedia(this.db, key);
    if (!row) throw mediaErrors.remoteUnavailable();
    return row;
  }
}
