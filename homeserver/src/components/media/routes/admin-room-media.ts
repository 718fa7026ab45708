import type Router from '@koa/router';
import type { Context } from 'koa';
import { isValidRoomId } from '../../../core/ids.js';
import { getRequester } from '../../../http/auth.js';
import { errors } from '../../../http/errors.js';
import type { RoomMediaSource } from '../api.js';
import { mxcUri, parseMxc } from '../ids.js';
import { quarantineMediaItems } from '../quarantine.js';
import type { MediaKey } from '../storage/media.js';
import { ADMIN_V1, type RouteDeps } from './common.js';

/** The room's media, split as Synapse lists it: ours and other servers'. Malformed URIs are left out. */
async function roomMedia(ctx: Context, rooms: RoomMediaSource, serverName: string): Promise<{ local: MediaKey[]; remote: MediaKey[] }> {
  const roomId = ctx.params.roomId ?? '';
  if (!isValidRoomId(roomId)) throw errors.invalidParam('Invalid room ID');
  const local: MediaKey[] = [];
  const remote: MediaKey[] = [];
  for (const uri of await rooms.mediaInRoom(roomId)) {
    const key = parseMxc(uri);
    if (key) (key.serverName === serverName ? local : remote).push(key);
  }
  return { local, remote };
}

/**
 * Synapse's room media admin API (docs/admin_api/media_admin_api.md), same paths and JSON; the
 * media is what the room's events refer to (`url`, `info.thumbnail_url`), so only media of
 * unencrypted events is known. 404 M_NOT_FOUND for a room this server does not know.
 * GET  /_synapse/admin/v1/room/{roomId}/media — {local: [mxc…], remote: [mxc…]}.
 * POST /_synapse/admin/v1/room/{roomId}/media/quarantine — {num_quarantined}: local and cached
 *      remote items, with every item sharing their bytes (as the single-item quarantine does).
 */
export function adminRoomMediaRoutes(router: Router, d: RouteDeps, rooms: RoomMediaSource): void {
  router.get(`${ADMIN_V1}/room/:roomId/media`, d.admin, async (ctx) => {
    const { local, remote } = await roomMedia(ctx, rooms, d.serverName);
    const uris = (keys: MediaKey[]) => keys.map((k) => mxcUri(k.serverName, k.mediaId));
    ctx.body = { local: uris(local), remote: uris(remote) };
  });

  router.post(`${ADMIN_V1}/room/:roomId/media/quarantine`, d.admin, async (ctx) => {
    const { local, remote } = await roomMedia(ctx, rooms, d.serverName);
    ctx.body = { num_quarantined: await quarantineMediaItems(d.db, [...local, ...remote], getRequester(ctx).userId) };
  });
}
