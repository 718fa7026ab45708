import type Router from '@koa/router';
import type { Context } from 'koa';
import { errors } from '../../../http/errors.js';
import { queryString } from '../../../http/params.js';
import { mediaKeyParams } from '../ids.js';
import { IMMUTABLE_CACHE_PRIVATE, IMMUTABLE_CACHE_PUBLIC } from '../serve/headers.js';
import { sendThumbnail } from '../serve/send-media.js';
import type { ThumbnailRequest } from '../thumbnails/thumbnailer.js';
import { CLIENT_MEDIA, MEDIA_V3, queryBool, timeoutParam, type RouteDeps } from './common.js';
import { bypassQuarantine } from './download.js';

/** Larger requests are answered as if they asked for this: no configured size comes near it. */
const MAX_DIMENSION = 10_000;

function dimension(ctx: Context, name: string): number {
  const v = queryString(ctx, name);
  if (v === undefined || v === '') throw errors.missingParam(`Missing ${name}`);
  if (!/^\d{1,9}$/.test(v) || Number(v) < 1) throw errors.invalidParam(`${name} must be a positive whole number`);
  return Math.min(Number(v), MAX_DIMENSION);
}

/** The thumbnail query: width and height (required), method, animated. */
export function thumbnailRequest(ctx: Context): ThumbnailRequest {
  const method = queryString(ctx, 'method') || 'scale';
  if (method !== 'crop' && method !== 'scale') throw errors.invalidParam('method must be crop or scale');
  return { width: dimension(ctx, 'width'), height: dimension(ctx, 'height'), method, animated: queryBool(ctx, 'animated', false) };
}

/**
 * GET /_matrix/client/v1/media/thumbnail/{serverName}/{mediaId} — a thumbnail at one of the
 *     configured sizes (made on first request, stored after), or the image itself when it is
 *     already no larger than asked.
 * GET /_matrix/media/v3/thumbnail/{serverName}/{mediaId} — the deprecated unauthenticated form,
 *     frozen like the legacy download.
 */
export function thumbnailRoutes(router: Router, d: RouteDeps): void {
  router.get(`${CLIENT_MEDIA}/thumbnail/:serverName/:mediaId`, d.auth, async (ctx) => {
    const key = mediaKeyParams(ctx.params);
    const request = thumbnailRequest(ctx);
    const media = await d.lookup.resolve(key, { timeoutMs: timeoutParam(ctx), allowRemote: true, legacy: false, bypassQuarantine: bypassQuarantine(ctx) });
    const choice = await d.thumbnailer.thumbnail(media.sha256, request, key.serverName !== d.serverName);
    await sendThumbnail(ctx, d.blobs, media, choice, IMMUTABLE_CACHE_PRIVATE);
  });

  router.get(`${MEDIA_V3}/thumbnail/:serverName/:mediaId`, async (ctx) => {
    const key = mediaKeyParams(ctx.params);
    const request = thumbnailRequest(ctx);
    const media = await d.lookup.resolve(key, { timeoutMs: timeoutParam(ctx), allowRemote: queryBool(ctx, 'allow_remote', true), legacy: true, bypassQuarantine: false });
    const choice = await d.thumbnailer.thumbnail(media.sha256, request, key.serverName !== d.serverName);
    await sendThumbnail(ctx, d.blobs, media, choice, IMMUTABLE_CACHE_PUBLIC);
  });
}
