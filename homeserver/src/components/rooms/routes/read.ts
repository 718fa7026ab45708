import type Router from '@koa/router';
import { getRequester, requireAuth, type Authenticate } from '../../../http/auth.js';
import { errors } from '../../../http/errors.js';
import { queryInt, queryJson, queryString } from '../../../http/params.js';
import { parseRoomEventFilter } from '../event-filter.js';
import type { RoomReader } from '../reader.js';

const MEMBERSHIPS = new Set(['join', 'invite', 'leave', 'ban', 'knock']);

/**
 * GET /_matrix/client/v3/rooms/{roomId}/event/{eventId}
 * GET /_matrix/client/v3/rooms/{roomId}/context/{eventId}
 * GET /_matrix/client/v3/rooms/{roomId}/messages
 * GET /_matrix/client/v3/rooms/{roomId}/members
 * GET /_matrix/client/v3/rooms/{roomId}/joined_members
 * GET /_matrix/client/v3/joined_rooms
 */
export function readRoutes(router: Router, reader: RoomReader, authenticate: Authenticate): void {
  const auth = requireAuth(authenticate);
  router.get('/_matrix/client/v3/rooms/:roomId/event/:eventId', auth, async (ctx) => {
    ctx.body = await reader.event(getRequester(ctx), ctx.params.roomId!, ctx.params.eventId!);
  });

  router.get('/_matrix/client/v3/rooms/:roomId/context/:eventId', auth, async (ctx) => {
    const limit = queryInt(ctx, 'limit', { min: 0, max: 100, fallback: 10 });
    const filter = parseRoomEventFilter(queryJson(ctx, 'filter'));
    ctx.body = await reader.context(getRequester(ctx), ctx.params.roomId!, ctx.params.eventId!, limit, filter);
  });

  router.get('/_matrix/client/v3/rooms/:roomId/messages', auth, async (ctx) => {
    const dir = queryString(ctx, 'dir');
    if (dir !== 'b' && dir !== 'f') throw errors.invalidParam('dir must be "b" or "f"');
    const filter = parseRoomEventFilter(queryJson(ctx, 'filter'));
    const limit = Math.min(queryInt(ctx, 'limit', { min: 0, max: 1000, fallback: 10 }), filter.limit ?? 1000);
    ctx.body = await reader.messages(getRequester(ctx), ctx.params.roomId!, {
      from: queryString(ctx, 'from'),
      to: queryString(ctx, 'to'),
      dir,
      limit,
      filter,
    });
  });

  router.get('/_matrix/client/v3/rooms/:roomId/members', auth, async (ctx) => {
    const membership = queryString(ctx, 'membership');
    const notMembership = queryString(ctx, 'not_membership');
    for (const m of [membership, notMembership]) {
      if (m !== undefined && !MEMBERSHIPS.has(m)) throw errors.invalidParam(`unknown membership ${m}`);
    }
    const chunk = await reader.members(getRequester(ctx), ctx.params.roomId!, { at: queryString(ctx, 'at'), membership, notMembership });
    ctx.body = { chunk };
  });

  router.get('/_matrix/client/v3/rooms/:roomId/joined_members', auth, async (ctx) => {
    ctx.body = await reader.joinedMembers(getRequester(ctx), ctx.params.roomId!);
  });

  router.get('/_matrix/client/v3/joined_rooms', auth, async (ctx) => {
    ctx.body = { joined_rooms: await reader.joinedRooms(getRequester(ctx).userId) };
  });
}
