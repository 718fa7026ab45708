import type Router from '@koa/router';
import { z } from 'zod';
import { getRequester, requireAuth, type Authenticate } from '../../../http/auth.js';
import { jsonBody } from '../../../http/body.js';
import { errors } from '../../../http/errors.js';
import type { RoomsApi } from '../../rooms/api.js';
import type { Typing } from '../typing.js';

const schema = z.object({ typing: z.boolean(), timeout: z.number().int().min(0).optional() });

/** PUT /_matrix/client/v3/rooms/{roomId}/typing/{userId} */
export function typingRoutes(router: Router, typing: Typing, rooms: RoomsApi, authenticate: Authenticate): void {
  router.put('/_matrix/client/v3/rooms/:roomId/typing/:userId', requireAuth(authenticate), async (ctx) => {
    const requester = getRequester(ctx);
    if (ctx.params.userId !== requester.userId) throw errors.forbidden('You may only set your own typing state');
    const body = await jsonBody(ctx, schema);
    const roomId = ctx.params.roomId!;
    if (!(await rooms.joinedRooms(requester.userId)).includes(roomId)) throw errors.forbidden('You are not in this room');
    typing.set(roomId, requester.userId, body.typing, body.timeout ?? 30_000);
    ctx.body = {};
  });
}
