import type Router from '@koa/router';
import type { Context } from 'koa';
import { getRequester } from '../../../http/auth.js';
import { errors } from '../../../http/errors.js';
import { queryString } from '../../../http/params.js';
import { mediaErrors } from '../errors.js';
import { CLIENT_MEDIA, MEDIA_V3, type RouteDeps } from './common.js';

/**
 * GET /_matrix/client/v1/media/preview_url?url=…[&ts=…] — OpenGraph data of a page, its image as
 *     an mxc:// URI. Off unless url_preview.enabled (404 M_UNRECOGNIZED, as servers without the
 *     feature answer).
 * GET /_matrix/media/v3/preview_url — the same, deprecated path.
 */
export function previewRoutes(router: Router, d: RouteDeps): void {
  const handler = async (ctx: Context): Promise<void> => {
    if (!d.config.urlPreview.enabled) throw mediaErrors.previewsDisabled();
    const url = queryString(ctx, 'url');
    if (!url) throw errors.missingParam('Missing url');
    // `ts` asks for a past version; we keep only the latest, which the spec allows.
    const ts = queryString(ctx, 'ts');
    if (ts !== undefined && !/^\d{1,15}$/.test(ts)) throw errors.invalidParam('ts must be a timestamp in milliseconds');
    ctx.body = await d.previewer.preview(url, getRequester(ctx).userId);
  };
  router.get(`${CLIENT_MEDIA}/preview_url`, d.auth, handler);
  router.get(`${MEDIA_V3}/preview_url`, d.auth, handler);
}
