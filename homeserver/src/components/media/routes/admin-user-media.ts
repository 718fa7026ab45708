import type Router from '@koa/router';
import type { Context } from 'koa';
import { parseUserId } from '../../../core/ids.js';
import { getRequester } from '../../../http/auth.js';
import { errors } from '../../../http/errors.js';
import { queryInt, queryString } from '../../../http/params.js';
import { deleteMedia } from '../deletion.js';
import { quarantineUserMedia } from '../quarantine.js';
import { listUserMedia, staleRemoteMedia, USER_MEDIA_ORDER, type MediaRow, type UserMediaOrder } from '../storage/media.js';
import { ADMIN_V1, type RouteDeps } from './common.js';
import { timestampParam } from './admin-media.js';

function localUser(ctx: Context, serverName: string): string {
  const userId = ctx.params.userId ?? '';
  const parsed = parseUserId(userId);
  if (!parsed) throw errors.invalidParam('Invalid user ID');
  if (parsed.serverName !== serverName) throw errors.badState('Can only look up local users');
  return userId;
}

const view = (r: MediaRow): Record<string, unknown> => ({
  media_id: r.media_id,
  media_type: r.content_type,
  media_length: r.size,
  upload_name: r.upload_name,
  created_ts: r.created_ts,
  last_access_ts: r.last_access_ts,
  quarantined_by: r.quarantined_by,
  safe_from_quarantine: r.safe_from_quarantine,
});

/**
 * GET    /_synapse/admin/v1/users/{userId}/media — a local user's media, paged (from, limit,
 *        order_by, dir; newest first by default), as Synapse's user admin API lists it.
 * DELETE /_synapse/admin/v1/users/{userId}/media — deletes that page: {deleted_media, total}.
 * POST   /_synapse/admin/v1/user/{userId}/media/quarantine — {num_quarantined}.
 * POST   /_synapse/admin/v1/purge_media_cache?before_ts= — cached remote media not used since: {deleted}.
 */
export function adminUserMediaRoutes(router: Router, d: RouteDeps): void {
  const page = async (ctx: Context) => {
    const userId = localUser(ctx, d.serverName);
    const from = queryInt(ctx, 'from', { min: 0, fallback: 0 });
    const limit = queryInt(ctx, 'limit', { min: 1, max: 10_000, fallback: 100 });
    const orderParam = queryString(ctx, 'order_by');
    const dirParam = queryString(ctx, 'dir');
    if (orderParam !== undefined && !(USER_MEDIA_ORDER as readonly string[]).includes(orderParam)) {
      throw errors.invalidParam(`order_by must be one of ${USER_MEDIA_ORDER.join(', ')}`);
    }
    if (dirParam !== undefined && dirParam !== 'f' && dirParam !== 'b') throw errors.invalidParam('dir must be f or b');
    // Neither given: newest first, as Synapse documents.
    const orderBy = (orderParam ?? 'created_ts') as UserMediaOrder;
    const direction = dirParam === undefined ? (orderParam === undefined ? 'desc' : 'asc') : dirParam === 'b' ? 'desc' : 'asc';
    return { userId, from, limit, ...(await listUserMedia(d.db, d.serverName, userId, { from, limit, orderBy, direction })) };
  };

  router.get(`${ADMIN_V1}/users/:userId/media`, d.admin, async (ctx) => {
    const { from, rows, total } = await page(ctx);
    ctx.body = { media: rows.map(view), total, ...(from + rows.length < total ? { next_token: from + rows.length } : {}) };
  });

  // Deletes the page the same parameters would list, as Synapse does (100 items by default).
  router.delete(`${ADMIN_V1}/users/:userId/media`, d.admin, async (ctx) => {
    const { rows } = await page(ctx);
    const deleted = await deleteMedia(d.db, d.library, rows.map((r) => ({ serverName: r.server_name, mediaId: r.media_id })));
    ctx.body = { deleted_media: deleted, total: deleted.length };
  });

  router.post(`${ADMIN_V1}/user/:userId/media/quarantine`, d.admin, async (ctx) => {
    const userId = localUser(ctx, d.serverName);
    ctx.body = { num_quarantined: await quarantineUserMedia(d.db, d.serverName, userId, getRequester(ctx).userId) };
  });

  router.post(`${ADMIN_V1}/purge_media_cache`, d.admin, async (ctx) => {
    const beforeTs = timestampParam(ctx, 'before_ts');
    const deleted = await deleteMedia(d.db, d.library, await staleRemoteMedia(d.db, d.serverName, beforeTs));
    ctx.body = { deleted: deleted.length };
  });
}
