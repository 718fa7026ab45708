import type { Knex } from '../../db/database.js';
import { LruCache } from '../../util/lru.js';
import { mediaErrors } from './errors.js';
import type { PendingUploads } from './pending.js';
import type { RemoteMediaCache } from './remote/remote-cache.js';
import { getMedia, touchAccess, type MediaKey, type MediaRow } from './storage/media.js';

/** The spec's default `timeout_ms`, and the most we honour. */
export const DEFAULT_TIMEOUT_MS = 20_000;
export const MAX_TIMEOUT_MS = 60_000;

export interface ResolveOptions {
  /** How long to wait for an asynchronous upload still in progress. */
  timeoutMs: number;
  /** false: uncached remote media is not fetched (legacy `allow_remote=false`, federation). */
  allowRemote: boolean;
  /** The deprecated unauthenticated endpoints: media created after the freeze is not theirs. */
  legacy: boolean;
  /** An admin's `admin_unsafely_bypass_quarantine=true`. */
  bypassQuarantine: boolean;
}

export type ServableMedia = MediaRow & { sha256: string; content_type: string; size: number };

/** Finds the stored bytes behind an mxc:// URI for a download or thumbnail, or the error to answer. */
export class MediaLookup {
  private stopping = false;
  /** When this process last recorded a download of each item: popular media costs no write per request. */
  private readonly touched = new LruCache<string, number>(10_000);

  constructor(
    private readonly db: Knex,
    private readonly serverName: string,
    private readonly pending: PendingUploads,
    private readonly remote: RemoteMediaCache,
    private readonly frozenAfterTs: number,
    private readonly now: () => number = Date.now,
  ) {}

  async resolve(key: MediaKey, opts: ResolveOptions): Promise<ServableMedia> {
    const local = key.serverName === this.serverName;
    let row = local ? await this.waitForUpload(key, opts.timeoutMs) : await getMedia(this.db, key);
    if (!row) {
      if (!opts.allowRemote) throw mediaErrors.notFound();
      row = await this.remote.get(key, opts.timeoutMs);
    }
    if (row.sha256 === null) throw mediaErrors.notYetUploaded();
    if (row.quarantined_by !== null && !opts.bypassQuarantine) throw mediaErrors.notFound();
    // For remote media the cache date counts, as the spec says: re-fetched media is "new".
    if (opts.legacy && row.created_ts >= this.frozenAfterTs) {
      throw mediaErrors.notFound('This media is only available through the authenticated media API (/_matrix/client/v1/media)');
    }
    this.recordAccess(key);
    return { ...row, sha256: row.sha256, content_type: row.content_type ?? 'application/octet-stream', size: row.size ?? 0 };
  }

  private recordAccess(key: MediaKey): void {
    const id = `${key.serverName}/${key.mediaId}`;
    const now = this.now();
    if (now - (this.touched.get(id) ?? 0) < 60_000) return;
    this.touched.set(id, now);
    void touchAccess(this.db, key, now).catch(() => {});
  }

  /** Shutdown: waiting downloads answer now. */
  stop(): void {
    this.stopping = true;
    this.pending.wakeAll();
  }

  /** Local media, waiting up to `timeoutMs` for an asynchronous upload's bytes (504 after). */
  private async waitForUpload(key: MediaKey, timeoutMs: number): Promise<MediaRow> {
    const deadline = this.now() + Math.min(timeoutMs, MAX_TIMEOUT_MS);
    for (;;) {
      const row = await getMedia(this.db, key);
      if (!row) throw mediaErrors.notFound();
      if (row.sha256 !== null) return row;
      const now = this.now();
      if (row.expires_ts !== null && row.expires_ts <= now) throw mediaErrors.notFound();
      if (now >= deadline || this.stopping) throw mediaErrors.notYetUploaded();
      await this.pending.wait(key, Math.min(1000, deadline - now));
    }
  }
}
