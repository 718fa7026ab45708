import type Router from '@koa/router';
import { z } from 'zod';
import { errors } from '../../../http/errors.js';
import { jsonBody } from '../../../http/body.js';
import { getRequester } from '../../../http/auth.js';
import { getAccountData } from '../storage/account-data.js';
import { CLIENT, requireSelf, type RouteDeps } from './common.js';
import { checkRoomId } from './account-data.js';

const tagBody = z.object({ order: z.number().optional() }).passthrough();

/**
 * GET    /_matrix/client/v3/user/{userId}/rooms/{roomId}/tags
 * PUT    /_matrix/client/v3/user/{userId}/rooms/{roomId}/tags/{tag}
 * DELETE /_matrix/client/v3/user/{userId}/rooms/{roomId}/tags/{tag}
 * Tags are the room's `m.tag` account data, so sync delivers them like any other.
 */
export function tagRoutes(router: Router, d: RouteDeps): void {
  const { users } = d;
  const base = `${CLIENT}/user/:userId/rooms/:roomId/tags`;

  const tagsOf = async (userId: string, roomId: string): Promise<Record<string, unknown>> => {
    const content = await getAccountData(users.db, userId, roomId, 'm.tag');
    const tags = content?.tags;
    return tags && typeof tags === 'object' && !Array.isArray(tags) ? { ...(tags as Record<string, unknown>) } : {};
  };

  router.get(base, d.auth, async (ctx) => {
    const { userId, roomId } = ctx.params as { userId: string; roomId: string };
    requireSelf(getRequester(ctx), userId, 'get tags');
    checkRoomId(roomId);
    ctx.body = { tags: await tagsOf(userId, roomId) };
  });

  router.put(`${base}/:tag`, d.auth, async (ctx) => {
    const { userId, roomId, tag } = ctx.params as { userId: string; roomId: string; tag: string };
    requireSelf(getRequester(ctx), userId, 'add tags');
    checkRoomId(roomId);
    if (tag.length === 0 || Buffer.byteLength(tag, 'utf8') > 255) throw errors.invalidParam('Tags are 1 to 255 bytes');
    const body = await jsonBody(ctx, tagBody);
    const tags = await tagsOf(userId, roomId);
    tags[tag] = body;
    await users.putAccountData(userId, roomId, 'm.tag', { tags });
    ctx.body = {};
  });

  router.delete(`${base}/:tag`, d.auth, async (ctx) => {
    const { userId, roomId, tag } = ctx.params as { userId: string; roomId: string; tag: string };
    requireSelf(getRequester(ctx), userId, 'remove tags');
    checkRoomId(roomId);
    const tags = await tagsOf(userId, roomId);
    if (Object.hasOwn(tags, tag)) {
      delete tags[tag];
      await users.putAccountData(userId, roomId, 'm.tag', { tags });
    }
    ctx.body = {};
  });
}
