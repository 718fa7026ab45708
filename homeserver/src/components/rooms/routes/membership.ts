import type Router from '@koa/router';
import type { RouterContext } from '@koa/router';
import { z } from 'zod';
import { parseUserId } from '../../../core/ids.js';
import { getRequester, requireAuth, type Authenticate } from '../../../http/auth.js';
import { jsonBody } from '../../../http/body.js';
import { errors } from '../../../http/errors.js';
import type { MembershipAction } from '../membership.js';
import type { RoomsService } from '../service.js';

function queryList(v: string | string[] | undefined): string[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

const withReason = z.object({ reason: z.string().optional() });
const withTarget = z.object({ user_id: z.string(), reason: z.string().optional() });

/**
 * POST /_matrix/client/v3/join/{roomIdOrAlias}, /rooms/{roomId}/join, /knock/{roomIdOrAlias},
 * /rooms/{roomId}/leave, /invite, /kick, /ban, /unban, /forget.
 */
export function membershipRoutes(router: Router, service: RoomsService, authenticate: Authenticate): void {
  const auth = requireAuth(authenticate);

  const own = (action: 'join' | 'knock' | 'leave') => async (ctx: RouterContext) => {
    const requester = getRequester(ctx);
    const body = await jsonBody(ctx, withReason, { allowEmpty: true });
    const target = ctx.params.roomIdOrAlias ?? ctx.params.roomId!;
    const { roomId, servers } = await service.resolveRoom(target);
    // `via` replaced `server_name` in v1.12; clients still send either.
    const via = [...queryList(ctx.query['via']), ...queryList(ctx.query['server_name']), ...servers];
    await service.memberships.change(requester, roomId, action, requester.userId, body.reason, {}, via);
    ctx.body = action === 'leave' ? {} : { room_id: roomId };
  };
  router.post('/_matrix/client/v3/join/:roomIdOrAlias', auth, own('join'));
  router.post('/_matrix/client/v3/rooms/:roomId/join', auth, own('join'));
  router.post('/_matrix/client/v3/knock/:roomIdOrAlias', auth, own('knock'));
  router.post('/_matrix/client/v3/rooms/:roomId/leave', auth, own('leave'));

  const other = (action: Exclude<MembershipAction, 'join' | 'knock' | 'leave'>) => async (ctx: RouterContext) => {
    const requester = getRequester(ctx);
    const body = await jsonBody(ctx, withTarget);
    if (!parseUserId(body.user_id)) throw errors.invalidParam('user_id is not a valid user ID');
    await service.memberships.change(requester, ctx.params.roomId!, action, body.user_id, body.reason);
    ctx.body = {};
  };
  router.post('/_matrix/client/v3/rooms/:roomId/invite', auth, other('invite'));
  router.post('/_matrix/client/v3/rooms/:roomId/kick', auth, other('kick'));
  router.post('/_matrix/client/v3/rooms/:roomId/ban', auth, other('ban'));
  router.post('/_matrix/client/v3/rooms/:roomId/unban', auth, other('unban'));

  router.post('/_matrix/client/v3/rooms/:roomId/forget', auth, async (ctx) => {
    const requester = getRequester(ctx);
    await jsonBody(ctx, z.object({}), { allowEmpty: true });
    const roomId = ctx.params.roomId!;
    const membership = await service.current.membership(roomId, requester.userId);
    if (membership === 'join' || membership === 'invite' || membership === 'knock') {
      throw errors.badState('You must leave the room before forgetting it');
    }
    await service.forget(requester.userId, roomId);
    ctx.body = {};
  });
}
