import type Router from '@koa/router';
import type { Context } from 'koa';
import { getRequester } from '../../../http/auth.js';
import { mediaKeyParams } from '../ids.js';
import { IMMUTABLE_CACHE_PRIVATE, IMMUTABLE_CACHE_PUBLIC } from '../serve/headers.js';
import { sendMedia } from '../serve/send-media.js';
import { CLIENT_MEDIA, MEDIA_V3, queryBool, timeoutParam, type RouteDeps } from './common.js';

/** Admins may look at quarantined media when they ask for it explicitly, as in Synapse. */
export function bypassQuarantine(ctx: Context): boolean {
  return queryBool(ctx, 'admin_unsafely_bypass_quarantine', false) && getRequester(ctx).isAdmin;
}

/**
 * GET /_matrix/client/v1/media/download/{serverName}/{mediaId}[/{fileName}] — authenticated
 *     download of local or (cached) remote media, with Range support.
 * GET /_matrix/media/v3/download/{serverName}/{mediaId}[/{fileName}] — the deprecated
 *     unauthenticated form: only media from before the configured freeze, 404 for newer.
 */
export function downloadRoutes(router: Router, d: RouteDeps): void {
  const authed = async (ctx: Context): Promise<void> => {
    const media = await d.lookup.resolve(mediaKeyParams(ctx.params), {
      timeoutMs: timeoutParam(ctx),
      allowRemote: true,
      legacy: false,
      bypassQuarantine: bypassQuarantine(ctx),
    });
    await sendMedia(ctx, d.blobs, media, ctx.params.fileName, IMMUTABLE_CACHE_PRIVATE);
  };
  router.get(`${CLIENT_MEDIA}/download/:serverName/:mediaId`, d.auth, authed);
  router.get(`${CLIENT_MEDIA}/download/:serverName/:mediaId/:fileName`, d.auth, authed);

  const legacy = async (ctx: Context): Promise<void> => {
    const media = await d.lookup.resolve(mediaKeyParams(ctx.params), {
      timeoutMs: timeoutParam(ctx),
      allowRemote: queryBool(ctx, 'allow_remote', true),
      legacy: true,
      bypassQuarantine: false,
    });
    await sendMedia(ctx, d.blobs, media, ctx.params.fileName, IMMUTABLE_CACHE_PUBLIC);
  };
  router.get(`${MEDIA_V3}/download/:serverName/:mediaId`, legacy);
  router.get(`${MEDIA_V3}/download/:serverName/:mediaId/:fileName`, legacy);
}
