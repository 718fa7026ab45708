import path from 'node:path';
import type Router from '@koa/router';
import type { Config } from '../../config/config.js';
import type { Knex } from '../../db/database.js';
import type { Logger } from '../../log/logger.js';
import { requireAdmin, requireAuth, type Authenticate } from '../../http/auth.js';
import { RateLimiter } from '../../http/rate-limit.js';
import type { Component } from '../component.js';
import type { MediaApi, MediaHooks, RoomMediaSource } from './api.js';
import { FilesystemBlobStore } from './blobs/filesystem.js';
import { TempFiles } from './blobs/temp-files.js';
import { ImageJobs } from './images/image-jobs.js';
import { ImageSanitizer } from './images/sanitize.js';
import { ContentLibrary } from './library.js';
import { MediaLookup } from './lookup.js';
import { PendingUploads } from './pending.js';
import { GuardedFetcher, type Resolver } from './preview/guarded-fetch.js';
import { IpGuard } from '../../util/ip-ranges.js';
import { UrlPreviewer } from './preview/previewer.js';
import { FederationMediaFetcher } from './remote/federation-fetcher.js';
import { RemoteMediaCache } from './remote/remote-cache.js';
import { deleteExpiredPending, getMedia } from './storage/media.js';
import { deleteExpiredPreviews } from './storage/previews.js';
import { Thumbnailer } from './thumbnails/thumbnailer.js';
import { Uploads } from './uploads.js';
import type { RouteDeps } from './routes/common.js';
import { uploadRoutes } from './routes/upload.js';
import { asyncUploadRoutes } from './routes/async-upload.js';
import { configRoutes } from './routes/config.js';
import { downloadRoutes } from './routes/download.js';
import { thumbnailRoutes } from './routes/thumbnail.js';
import { previewRoutes } from './routes/preview.js';
import { federationMediaRoutes } from './routes/federation.js';
import { adminMediaRoutes } from './routes/admin-media.js';
import { adminUserMediaRoutes } from './routes/admin-user-media.js';
import { adminRoomMediaRoutes } from './routes/admin-room-media.js';

export interface MediaDeps extends MediaHooks {
  db: Knex;
  log: Logger;
  config: Config;
  authenticate: Authenticate;
  /** Users' avatars, so that "delete old media" can keep the ones in use (users component). */
  profiles?: { getProfiles(userIds: readonly string[]): Promise<Map<string, { avatar_url?: string }>> } | undefined;
  /** The media rooms refer to, for the room media admin endpoints (mounted only with it). */
  rooms?: RoomMediaSource | undefined;
  /** Tests replace DNS for URL previews. */
  resolver?: Resolver | undefined;
}

export type MediaComponent = Component & { readonly api: MediaApi };

/** Expired pending uploads and previews are swept this often. */
const SWEEP_INTERVAL_MS = 3600_000;

/** The media repository: uploads, downloads, thumbnails, URL previews, remote media and its admin API. */
export function createMedia(deps: MediaDeps): MediaComponent {
  const { db, log, config } = deps;
  const media = config.media;
  const blobs = new FilesystemBlobStore(media.directory);
  const temp = new TempFiles(path.join(media.directory, 'tmp'));
  const jobs = new ImageJobs();
  const thumbnailer = new Thumbnailer(db, blobs, temp, jobs, { sizes: media.thumbnailSizes, quality: media.imageQuality, maxImagePixels: media.maxImagePixels }, log);
  const library = new ContentLibrary(blobs, (sha256) => thumbnailer.forget(sha256));
  const sanitizer = new ImageSanitizer(temp, jobs, { maxImagePixels: media.maxImagePixels, maxImageDimension: media.maxImageDimension, quality: media.imageQuality }, log);
  const pending = new PendingUploads();
  const uploads = new Uploads(db, temp, library, sanitizer, pending, { serverName: config.serverName, maxUploadBytes: media.maxUploadBytes, keepOriginal: media.keepOriginal }, log);
  const ipGuard = new IpGuard(media.urlPreview.ipRangeAllowlist);
  // Origins may send us elsewhere for the bytes (a Location part): the same guard as previews, HTTPS only.
  const remoteFetcher =
    deps.remoteFetcher ??
    (deps.federationClient
      ? new FederationMediaFetcher(deps.federationClient, new GuardedFetcher(ipGuard, deps.resolver, { userAgent: 'Hearth media (Matrix homeserver)', httpsOnly: true }))
      : undefined);
  const remote = new RemoteMediaCache(db, remoteFetcher, uploads, temp, media.maxUploadBytes, log);
  const lookup = new MediaLookup(db, config.serverName, pending, remote, media.unauthenticatedFrozenAfterTs);
  const fetcher = new GuardedFetcher(ipGuard, deps.resolver);
  const previewer = new UrlPreviewer(db, fetcher, uploads, media.urlPreview, log);

  const routeDeps: RouteDeps = {
    serverName: config.serverName,
    db,
    log,
    config: media,
    auth: requireAuth(deps.authenticate),
    admin: requireAdmin(deps.authenticate),
    uploadLimiter: new RateLimiter(media.uploadRate),
    uploads,
    lookup,
    thumbnailer,
    blobs,
    library,
    previewer,
    async avatarsOf(userIds) {
      if (!deps.profiles || userIds.length === 0) return new Set();
      // Users' own avatars only: room avatars would need the rooms component.
      const profiles = await deps.profiles.getProfiles(userIds);
      return new Set([...profiles.values()].map((p) => p.avatar_url).filter((u): u is string => typeof u === 'string'));
    },
  };

  let sweeper: NodeJS.Timeout | undefined;
  const sweep = async (): Promise<void> => {
    try {
      const now = Date.now();
      await deleteExpiredPending(db, now);
      await deleteExpiredPreviews(db, now);
    } catch (err) {
      log.warn({ err }, 'media: sweep failed');
    }
  };

  const api: MediaApi = {
    async getMediaInfo(serverName, mediaId) {
      const row = await getMedia(db, { serverName, mediaId });
      if (!row || row.sha256 === null) return undefined;
      return {
        serverName,
        mediaId,
        contentType: row.content_type ?? 'application/octet-stream',
        size: row.size ?? 0,
        uploadName: row.upload_name,
        userId: row.user_id,
        createdTs: row.created_ts,
        quarantined: row.quarantined_by !== null,
      };
    },
  };

  return {
    name: 'media',
    api,
    routes(router: Router) {
      uploadRoutes(router, routeDeps);
      asyncUploadRoutes(router, routeDeps);
      configRoutes(router, routeDeps);
      downloadRoutes(router, routeDeps);
      thumbnailRoutes(router, routeDeps);
      previewRoutes(router, routeDeps);
      adminMediaRoutes(router, routeDeps);
      adminUserMediaRoutes(router, routeDeps);
      if (deps.rooms) adminRoomMediaRoutes(router, routeDeps, deps.rooms);
    },
    // On the federation listener, and only once federation can tell who is asking.
    federationRoutes(router: Router) {
      if (deps.federationAuth) federationMediaRoutes(router, routeDeps, deps.federationAuth);
    },
    async start() {
      await temp.init();
      await sweep();
      sweeper = setInterval(() => void sweep(), SWEEP_INTERVAL_MS);
      sweeper.unref();
    },
    beforeStop() {
      lookup.stop();
    },
    async stop() {
      clearInterval(sweeper);
    },
  };
}
