import type Router from '@koa/router';
import type { Context } from 'koa';
import { getRequester } from '../../../http/auth.js';
import { MatrixError } from '../../../http/errors.js';
import { byUser, rateLimit } from '../../../http/rate-limit.js';
import { mxcUri } from '../ids.js';
import { declaredLength, MEDIA_V3, uploadContentType, uploadFilename, type RouteDeps } from './common.js';

/** Reads the body as a stream; past the limit the connection closes so the rest is never read. */
export async function receiveBody(ctx: Context, d: RouteDeps): Promise<Awaited<ReturnType<RouteDeps['uploads']['receive']>>> {
  try {
    return await d.uploads.receive(ctx.req, declaredLength(ctx));
  } catch (err) {
    if (err instanceof MatrixError && err.status === 413) ctx.set('Connection', 'close');
    throw err;
  }
}

/**
 * POST /_matrix/media/v3/upload — stores the request body (never parsed, streamed to disk) and
 * answers its mxc:// URI. `filename` names it; Content-Type (default application/octet-stream)
 * is kept and served back.
 */
export function uploadRoutes(router: Router, d: RouteDeps): void {
  router.post(`${MEDIA_V3}/upload`, d.auth, rateLimit(d.uploadLimiter, byUser), async (ctx) => {
    const requester = getRequester(ctx);
    const meta = { contentType: uploadContentType(ctx), uploadName: uploadFilename(ctx) };
    const file = await receiveBody(ctx, d);
    const { key } = await d.uploads.createWith(file, requester.userId, meta);
    ctx.body = { content_uri: mxcUri(key.serverName, key.mediaId) };
  });
}
