import type Router from '@koa/router';
import { z } from 'zod';
import { getRequester, requireAuth, type Authenticate } from '../../../http/auth.js';
import { jsonBody } from '../../../http/body.js';
import { errors } from '../../../http/errors.js';
import type { RoomsApi } from '../../rooms/api.js';
import type { Presence } from '../presence.js';

const schema = z.object({ presence: z.enum(['online', 'unavailable', 'offline']), status_msg: z.string().max(2048).nullable().optional() });

/** GET|PUT /_matrix/client/v3/presence/{userId}/status */
export function presenceRoutes(router: Router, presence: Presence, rooms: RoomsApi, authenticate: Authenticate): void {
  const auth = requireAuth(authenticate);
  router.get('/_matrix/client/v3/presence/:userId/status', auth, async (ctx) => {
    const requester = getRequester(ctx);
    const target = ctx.params.userId!;
    if (!presence.enabled) throw errors.forbidden('Presence is disabled on this server');
    // Presence is shared only between users who share a room.
    if (target !== requester.userId && !(await rooms.sync.usersSharingRooms(requester.userId)).has(target)) {
      throw errors.forbidden('You do not share a room with this user');
    }
    ctx.body = presence.get(target) ?? { presence: 'offline' };
  });
  router.put('/_matrix/client/v3/presence/:userId/status', auth, async (ctx) => {
    const requester = getRequester(ctx);
    if (ctx.params.userId !== requester.userId) throw errors.forbidden('You may only set your own presence');
    const body = await jsonBody(ctx, schema);
    if (!presence.enabled) throw errors.forbidden('Presence is disabled on this server');
    await presence.set(requester.userId, body.presence, body.status_msg);
    ctx.body = {};
  });
}
