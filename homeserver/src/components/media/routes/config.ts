import type Router from '@koa/router';
import { CLIENT_MEDIA, MEDIA_V3, type RouteDeps } from './common.js';

/**
 * GET /_matrix/client/v1/media/config — the upload size limit (`m.upload.size`).
 * GET /_matrix/media/v3/config — the same, for clients before Matrix 1.11.
 */
export function configRoutes(router: Router, d: RouteDeps): void {
  const handler = (ctx: { body: unknown }): void => {
    ctx.body = { 'm.upload.size': d.config.maxUploadBytes };
  };
  router.get(`${CLIENT_MEDIA}/config`, d.auth, handler);
  router.get(`${MEDIA_V3}/config`, d.auth, handler);
}
