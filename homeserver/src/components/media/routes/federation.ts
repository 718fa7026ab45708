import type Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import type { FederationRequestAuth } from '../api.js';
import { contentKey } from '../blobs/blob-store.js';
import { mediaErrors } from '../errors.js';
import { isValidMediaId } from '../ids.js';
import type { ServableMedia } from '../lookup.js';
import { contentDisposition, isInlineSafe } from '../serve/headers.js';
import { multipartMixed } from '../serve/multipart.js';
import { errors } from '../../../http/errors.js';
import { FEDERATION_MEDIA, timeoutParam, type RouteDeps } from './common.js';
import { thumbnailRequest } from './thumbnail.js';

const EXTENSIONS: Record<string, string> = { 'image/jpeg': 'jpg', 'image/png': 'png', 'image/webp': 'webp', 'image/gif': 'gif' };

/**
 * GET /_matrix/federation/v1/media/download/{mediaId}
 * GET /_matrix/federation/v1/media/thumbnail/{mediaId}
 * Our own media for other servers, as multipart/mixed (metadata JSON, then the bytes). Only local
 * media: a server asks the origin, never us, for someone else's. Mounted only when the federation
 * component supplies a request authenticator (X-Matrix signatures).
 */
export function federationMediaRoutes(router: Router, d: RouteDeps, auth: FederationRequestAuth): void {
  const signed: Middleware = async (ctx, next) => {
    await auth.authenticate({ method: ctx.method, uri: ctx.originalUrl, headers: ctx.req.headers });
    await next();
  };

  const resolve = (ctx: Context): Promise<ServableMedia> => {
    const mediaId = ctx.params.mediaId ?? '';
    if (!isValidMediaId(mediaId)) throw errors.invalidParam('Invalid media ID');
    return d.lookup.resolve({ serverName: d.serverName, mediaId }, { timeoutMs: timeoutParam(ctx), allowRemote: false, legacy: false, bypassQuarantine: false });
  };

  const send = async (ctx: Context, key: string, contentType: string, disposition: string): Promise<void> => {
    const stream = await d.blobs.read(key);
    if (!stream) throw mediaErrors.notFound('The media file is missing from storage');
    const { contentType: multipartType, body } = multipartMixed(stream, { contentType, contentDisposition: disposition });
    ctx.set('Content-Type', multipartType);
    ctx.body = body;
  };

  router.get(`${FEDERATION_MEDIA}/download/:mediaId`, signed, async (ctx) => {
    const media = await resolve(ctx);
    const disposition = contentDisposition(isInlineSafe(media.content_type) ? 'inline' : 'attachment', media.upload_name);
    await send(ctx, contentKey(media.sha256), media.content_type, disposition);
  });

  router.get(`${FEDERATION_MEDIA}/thumbnail/:mediaId`, signed, async (ctx) => {
    const request = thumbnailRequest(ctx);
    const media = await resolve(ctx);
    const choice = await d.thumbnailer.thumbnail(media.sha256, request, false);
    const disposition = contentDisposition('inline', `thumbnail.${EXTENSIONS[choice.contentType] ?? 'bin'}`);
    await send(ctx, choice.kind === 'original' ? contentKey(media.sha256) : choice.key, choice.contentType, disposition);
  });
}
