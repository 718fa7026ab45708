import type { Context, Middleware } from 'koa';
import type { Knex } from '../../../db/database.js';
import type { MediaConfig } from '../../../config/media.js';
import type { Logger } from '../../../log/logger.js';
import { errors } from '../../../http/errors.js';
import type { RateLimiter } from '../../../http/rate-limit.js';
import { queryString } from '../../../http/params.js';
import type { BlobStore } from '../blobs/blob-store.js';
import type { ContentLibrary } from '../library.js';
import type { MediaLookup } from '../lookup.js';
import { DEFAULT_TIMEOUT_MS, MAX_TIMEOUT_MS } from '../lookup.js';
import type { UrlPreviewer } from '../preview/previewer.js';
import type { Thumbnailer } from '../thumbnails/thumbnailer.js';
import type { Uploads } from '../uploads.js';

export const MEDIA_V3 = '/_matrix/media/v3';
export const MEDIA_V1 = '/_matrix/media/v1';
export const CLIENT_MEDIA = '/_matrix/client/v1/media';
export const FEDERATION_MEDIA = '/_matrix/federation/v1/media';
export const ADMIN_V1 = '/_synapse/admin/v1';

/** What every route file of the media component is given. */
export interface RouteDeps {
  serverName: string;
  db: Knex;
  log: Logger;
  config: MediaConfig;
  /** requireAuth bound to the users component's authenticate. */
  auth: Middleware;
  /** requireAdmin, for /_synapse/admin. */
  admin: Middleware;
  uploadLimiter: RateLimiter;
  uploads: Uploads;
  lookup: MediaLookup;
  thumbnailer: Thumbnailer;
  blobs: BlobStore;
  library: ContentLibrary;
  previewer: UrlPreviewer;
  /** The avatar mxc:// URIs of these users: "delete old media" keeps them unless told otherwise. */
  avatarsOf(userIds: string[]): Promise<Set<string>>;
}

/** `true`/`false` query flags; anything else is 400 M_INVALID_PARAM. */
export function queryBool(ctx: Context, name: string, fallback: boolean): boolean {
  const v = queryString(ctx, name);
  if (v === undefined || v === '') return fallback;
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw errors.invalidParam(`${name} must be true or false`);
}

/** `timeout_ms`, defaulting to the spec's 20 s and capped so no request waits for long. */
export function timeoutParam(ctx: Context): number {
  const v = queryString(ctx, 'timeout_ms');
  if (v === undefined || v === '') return DEFAULT_TIMEOUT_MS;
  if (!/^\d{1,15}$/.test(v)) throw errors.invalidParam('timeout_ms must be a whole number of milliseconds');
  return Math.min(Number(v), MAX_TIMEOUT_MS);
}

/**
 * The upload's Content-Type: absent means application/octet-stream (the spec's default); a value
 * that is not a plain `type/subtype[; params]` in printable ASCII is refused rather than stored
 * and echoed back in a header later.
 */
export function uploadContentType(ctx: Context): string {
  const raw = ctx.get('content-type').trim();
  if (raw === '') return 'application/octet-stream';
  if (raw.length > 255 || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+\/[!#$%&'*+.^_`|~0-9A-Za-z-]+(\s*;[\x20-\x7e]*)?$/.test(raw)) {
    throw errors.invalidParam('Content-Type must be a media type like image/png');
  }
  return raw;
}

/** The `filename` query parameter: optional, no control characters, a sane length. */
export function uploadFilename(ctx: Context): string | null {
  const v = queryString(ctx, 'filename');
  if (v === undefined || v === '') return null;
  // eslint-disable-next-line no-control-regex
  if (v.length > 1024 || /[\u0000-\u001f\u007f]/.test(v)) throw errors.invalidParam('filename must be at most 1024 characters without control characters');
  return v;
}

export function declaredLength(ctx: Context): number | undefined {
  const v = ctx.get('content-length');
  return /^\d{1,15}$/.test(v) ? Number(v) : undefined;
}
