import type Router from '@koa/router';
import { getRequester } from '../../../http/auth.js';
import { byUser, rateLimit } from '../../../http/rate-limit.js';
import { mediaErrors } from '../errors.js';
import { mediaKeyParams, mxcUri } from '../ids.js';
import { MEDIA_V1, MEDIA_V3, uploadContentType, uploadFilename, type RouteDeps } from './common.js';
import { receiveBody } from './upload.js';

/**
 * POST /_matrix/media/v1/create — an mxc:// URI now, its bytes later (`unused_expires_at`).
 * PUT  /_matrix/media/v3/upload/{serverName}/{mediaId} — those bytes: only from the user who
 *      created the URI (403), only once (409 M_CANNOT_OVERWRITE_MEDIA), before it expires (404).
 */
export function asyncUploadRoutes(router: Router, d: RouteDeps): void {
  router.post(`${MEDIA_V1}/create`, d.auth, rateLimit(d.uploadLimiter, byUser), async (ctx) => {
    // The body is an empty JSON object at most; nothing in it is read.
    const { key, expiresTs } = await d.uploads.createPending(getRequester(ctx).userId);
    ctx.body = { content_uri: mxcUri(key.serverName, key.mediaId), unused_expires_at: expiresTs };
  });

  router.put(`${MEDIA_V3}/upload/:serverName/:mediaId`, d.auth, rateLimit(d.uploadLimiter, byUser), async (ctx) => {
    const userId = getRequester(ctx).userId;
    const key = mediaKeyParams(ctx.params);
    if (key.serverName !== d.serverName) throw mediaErrors.notFound('Unknown media ID');
    const meta = { contentType: uploadContentType(ctx), uploadName: uploadFilename(ctx) };
    // Refused before reading a byte when it could never succeed.
    await d.uploads.checkPending(key, userId);
    const file = await receiveBody(ctx, d);
    await d.uploads.completePending(key, file, userId, meta);
    ctx.body = {};
  });
}
