import type { Knex } from '../../db/database.js';
import { MatrixError } from '../../http/errors.js';
import type { Logger } from '../../log/logger.js';
import { receiveToTempFile, SizeLimitExceeded, type ReceivedFile } from './blobs/receive.js';
import type { TempFiles } from './blobs/temp-files.js';
import { mediaErrors } from './errors.js';
import { newMediaId } from './ids.js';
import type { ImageSanitizer, Sanitized } from './images/sanitize.js';
import type { ContentLibrary } from './library.js';
import type { PendingUploads } from './pending.js';
import { countPending, getMedia, insertMedia, lockMedia, updateMedia, type MediaKey, type MediaRow } from './storage/media.js';

/** Asynchronous uploads not finished within a day are forgotten (the spec's recommendation). */
export const PENDING_UPLOAD_LIFETIME_MS = 24 * 3600_000;
/** How many unfinished asynchronous uploads one user may hold (Synapse's default). */
export const MAX_PENDING_UPLOADS = 5;

export interface UploadMeta {
  contentType: string;
  uploadName: string | null;
}

type Recorder = (trx: Knex.Transaction, content: Sanitized, quarantinedBy: string | null) => Promise<void>;

export interface UploadsOptions {
  serverName: string;
  maxUploadBytes: number;
  keepOriginal: boolean;
}

/**
 * Every way bytes enter the repository: direct uploads, asynchronous ones (create, then PUT),
 * remote media being cached and URL preview images. Each streams to a temporary file, hashing as
 * it goes, cleans the image if it is one, then records it in one transaction.
 */
export class Uploads {
  constructor(
    private readonly db: Knex,
    private readonly temp: TempFiles,
    private readonly library: ContentLibrary,
    private readonly sanitizer: ImageSanitizer,
    private readonly pending: PendingUploads,
    private readonly options: UploadsOptions,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** Streams a request body to a temporary file; 413 M_TOO_LARGE past the limit (or a lower one). */
  async receive(source: AsyncIterable<Uint8Array> | NodeJS.ReadableStream, declaredLength: number | undefined, lowerLimit?: number): Promise<ReceivedFile> {
    const limit = Math.min(lowerLimit ?? Infinity, this.options.maxUploadBytes);
    if (declaredLength !== undefined && declaredLength > limit) throw mediaErrors.uploadTooLarge(limit);
    try {
      return await receiveToTempFile(source, this.temp, limit);
    } catch (err) {
      if (err instanceof SizeLimitExceeded) throw mediaErrors.uploadTooLarge(limit);
      // The client went away mid-upload: nobody to answer, and nothing for the error log.
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ECONNRESET' || (err as Error).message === 'aborted') {
        throw new MatrixError(400, 'M_UNKNOWN', 'The upload was interrupted');
      }
      throw err;
    }
  }

  /** POST /upload: a new media ID for received bytes. */
  async createWith(file: ReceivedFile, userId: string, meta: UploadMeta, extra: Partial<MediaRow> = {}): Promise<{ key: MediaKey; stored: Sanitized }> {
    const key = { serverName: this.options.serverName, mediaId: newMediaId() };
    const stored = await this.commit(file, meta, async (trx, content, quarantinedBy) => {
      await insertMedia(trx, {
        ...extra,
        server_name: key.serverName,
        media_id: key.mediaId,
        user_id: userId,
        created_ts: this.now(),
        ...this.fields(content, meta),
        quarantined_by: quarantinedBy,
      });
    });
    return { key, stored };
  }

  /** POST /create: a media ID whose bytes come later. 429 when the user has too many waiting. */
  async createPending(userId: string): Promise<{ key: MediaKey; expiresTs: number }> {
    const now = this.now();
    if ((await countPending(this.db, userId, now)) >= MAX_PENDING_UPLOADS) throw mediaErrors.tooManyPending();
    const key = { serverName: this.options.serverName, mediaId: newMediaId() };
    const expiresTs = now + PENDING_UPLOAD_LIFETIME_MS;
    await insertMedia(this.db, { server_name: key.serverName, media_id: key.mediaId, user_id: userId, created_ts: now, expires_ts: expiresTs });
    return { key, expiresTs };
  }

  /** Checks a PUT before its body is read: unknown or expired 404, someone else's 403, done already 409. */
  async checkPending(key: MediaKey, userId: string): Promise<void> {
    checkPendingRow(await getMedia(this.db, key), userId, this.now());
  }

  /** PUT /upload/{serverName}/{mediaId}: the bytes of a created media ID, accepted once. */
  async completePending(key: MediaKey, file: ReceivedFile, userId: string, meta: UploadMeta): Promise<void> {
    await this.commit(
      file,
      meta,
      async (trx, content, quarantinedBy) => {
        await updateMedia(trx, key, { ...this.fields(content, meta), expires_ts: null, quarantined_by: quarantinedBy });
      },
      // Checked again under the row lock, before the bytes move: of two PUTs racing, one wins.
      async (trx) => checkPendingRow(await lockMedia(trx, key), userId, this.now()),
    );
    this.pending.notify(key);
  }

  /** Remote media fetched from its origin: stored as received (not re-encoded), uploader unknown. */
  async cacheRemote(key: MediaKey, file: ReceivedFile, meta: UploadMeta): Promise<void> {
    const sanitized: Sanitized = { file, original: undefined, image: undefined };
    await this.store(sanitized, async (trx, content, quarantinedBy) => {
      await insertMedia(trx, {
        server_name: key.serverName,
        media_id: key.mediaId,
        user_id: null,
        created_ts: this.now(),
        ...this.fields(content, meta),
        quarantined_by: quarantinedBy,
      });
    });
  }

  private fields(content: Sanitized, meta: UploadMeta): Partial<MediaRow> {
    return {
      content_type: meta.contentType,
      upload_name: meta.uploadName,
      size: content.file.size,
      sha256: content.file.sha256,
      original_sha256: content.original && this.options.keepOriginal ? content.original.sha256 : null,
    };
  }

  private async commit(file: ReceivedFile, meta: UploadMeta, record: Recorder, precheck?: (trx: Knex.Transaction) => Promise<void>): Promise<Sanitized> {
    let content: Sanitized;
    try {
      content = await this.sanitizer.sanitize(file, meta.contentType);
    } catch (err) {
      await this.temp.remove(file.path);
      throw err;
    }
    await this.store(content, record, precheck);
    return content;
  }

  private async store(content: Sanitized, record: Recorder, precheck?: (trx: Knex.Transaction) => Promise<void>): Promise<void> {
    const keepOriginal = content.original !== undefined && this.options.keepOriginal;
    try {
      await this.db.transaction(async (trx) => {
        await precheck?.(trx);
        const now = this.now();
        const quarantinedBy = await this.library.add(trx, content.file, now);
        if (keepOriginal) await this.library.add(trx, content.original!, now);
        await record(trx, content, quarantinedBy);
      });
    } finally {
      // Whatever was not moved into the store (a failure, a discarded original) goes.
      await this.temp.remove(content.file.path).catch(() => {});
      if (content.original) await this.temp.remove(content.original.path).catch(() => {});
    }
    if (content.original && !keepOriginal) this.log.debug({ sha256: content.file.sha256 }, 'media: image cleaned; original discarded');
  }
}

function checkPendingRow(row: MediaRow | undefined, userId: string, now: number): void {
  if (!row || (row.sha256 === null && row.expires_ts !== null && row.expires_ts <= now)) throw mediaErrors.notFound('Unknown media ID');
  if (row.user_id !== userId) throw mediaErrors.notCreator();
  if (row.sha256 !== null) throw mediaErrors.cannotOverwrite();
}
