import type Router from '@koa/router';
import type { Context } from 'koa';
import { getRequester } from '../../../http/auth.js';
import { errors } from '../../../http/errors.js';
import { queryString } from '../../../http/params.js';
import { deleteMedia } from '../deletion.js';
import { mediaErrors } from '../errors.js';
import { isValidMediaId, mediaKeyParams, mxcUri } from '../ids.js';
import { quarantineMedia, unquarantineMedia } from '../quarantine.js';
import { getMedia, setProtected, staleLocalMedia } from '../storage/media.js';
import { ADMIN_V1, queryBool, type RouteDeps } from './common.js';

/** A required millisecond timestamp query parameter, as Synapse's admin API takes them. */
export function timestampParam(ctx: Context, name: string): number {
  const v = queryString(ctx, name);
  if (v === undefined || v === '') throw errors.missingParam(`Missing integer query parameter '${name}'`);
  if (!/^\d{1,15}$/.test(v)) throw errors.invalidParam(`${name} must be a positive integer`);
  return Number(v);
}

/**
 * Synapse's media admin API (docs/admin_api/media_admin_api.md), same paths and JSON:
 * GET    /_synapse/admin/v1/media/{serverName}/{mediaId} — one item's details.
 * POST   /_synapse/admin/v1/media/quarantine/{serverName}/{mediaId}, …/unquarantine/… — {}.
 * POST   /_synapse/admin/v1/media/protect/{mediaId}, …/unprotect/{mediaId} — {}.
 * DELETE /_synapse/admin/v1/media/{serverName}/{mediaId} — {deleted_media, total}.
 * POST   /_synapse/admin/v1/media/delete?before_ts=&size_gt=&keep_profiles= (and the deprecated
 *        /media/{serverName}/delete) — local media unused since before_ts.
 */
export function adminMediaRoutes(router: Router, d: RouteDeps): void {
  router.get(`${ADMIN_V1}/media/:serverName/:mediaId`, d.admin, async (ctx) => {
    const key = mediaKeyParams(ctx.params);
    const row = await getMedia(d.db, key);
    if (!row || row.sha256 === null) throw mediaErrors.notFound('Unknown media');
    ctx.body = {
      media_info: {
        media_origin: row.server_name,
        user_id: row.user_id,
        media_id: row.media_id,
        media_type: row.content_type,
        media_length: row.size,
        upload_name: row.upload_name,
        created_ts: row.created_ts,
        filesystem_id: row.sha256,
        url_cache: row.url_cache,
        last_access_ts: row.last_access_ts,
        quarantined_by: row.quarantined_by,
        authenticated: row.created_ts >= d.config.unauthenticatedFrozenAfterTs,
        safe_from_quarantine: row.safe_from_quarantine,
        sha256: row.sha256,
      },
    };
  });

  router.post(`${ADMIN_V1}/media/quarantine/:serverName/:mediaId`, d.admin, async (ctx) => {
    await quarantineMedia(d.db, mediaKeyParams(ctx.params), getRequester(ctx).userId);
    ctx.body = {};
  });

  router.post(`${ADMIN_V1}/media/unquarantine/:serverName/:mediaId`, d.admin, async (ctx) => {
    await unquarantineMedia(d.db, mediaKeyParams(ctx.params));
    ctx.body = {};
  });

  const protect = (safe: boolean) => async (ctx: Context) => {
    const mediaId = ctx.params.mediaId ?? '';
    if (!isValidMediaId(mediaId)) throw errors.invalidParam('Invalid media ID');
    await setProtected(d.db, d.serverName, mediaId, safe);
    ctx.body = {};
  };
  router.post(`${ADMIN_V1}/media/protect/:mediaId`, d.admin, protect(true));
  router.post(`${ADMIN_V1}/media/unprotect/:mediaId`, d.admin, protect(false));

  router.delete(`${ADMIN_V1}/media/:serverName/:mediaId`, d.admin, async (ctx) => {
    const key = mediaKeyParams(ctx.params);
    if (key.serverName !== d.serverName) throw errors.badState('Can only delete local media');
    if (!(await getMedia(d.db, key))) throw mediaErrors.notFound('Unknown media');
    const deleted = await deleteMedia(d.db, d.library, [key]);
    ctx.body = { deleted_media: deleted, total: deleted.length };
  });

  const deleteOld = async (ctx: Context): Promise<void> => {
    if (ctx.params.serverName !== undefined && ctx.params.serverName !== d.serverName) throw errors.badState('Can only delete local media');
    const beforeTs = timestampParam(ctx, 'before_ts');
    const sizeGtRaw = queryString(ctx, 'size_gt');
    if (sizeGtRaw !== undefined && sizeGtRaw !== '' && !/^\d{1,15}$/.test(sizeGtRaw)) throw errors.invalidParam('size_gt must be a positive integer');
    const sizeGt = Number(sizeGtRaw || 0);
    const keepProfiles = queryBool(ctx, 'keep_profiles', true);
    let rows = await staleLocalMedia(d.db, d.serverName, beforeTs, sizeGt);
    if (keepProfiles && rows.length > 0) {
      const inUse = await d.avatarsOf([...new Set(rows.flatMap((r) => (r.user_id ? [r.user_id] : [])))]);
      rows = rows.filter((r) => !inUse.has(mxcUri(r.server_name, r.media_id)));
    }
    const deleted = await deleteMedia(d.db, d.library, rows.map((r) => ({ serverName: r.server_name, mediaId: r.media_id })));
    ctx.body = { deleted_media: deleted, total: deleted.length };
  };
  router.post(`${ADMIN_V1}/media/delete`, d.admin, deleteOld);
  router.post(`${ADMIN_V1}/media/:serverName/delete`, d.admin, deleteOld);
}
