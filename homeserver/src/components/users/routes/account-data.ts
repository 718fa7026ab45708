import type Router from '@koa/router';
import type { Context } from 'koa';
import { errors, MatrixError } from '../../../http/errors.js';
import { readJsonObject } from '../../../http/body.js';
import { getRequester } from '../../../http/auth.js';
import { isValidRoomId } from '../../../core/ids.js';
import { getAccountData } from '../storage/account-data.js';
import { CLIENT, requireSelf, type RouteDeps } from './common.js';

/** Types the server keeps elsewhere; clients must use their own endpoints. */
const SERVER_MANAGED: Record<string, string> = {
  'm.fully_read': 'Cannot set m.fully_read through this API. Use /rooms/{roomId}/read_markers',
  'm.push_rules': 'Cannot set m.push_rules through this API. Use /pushrules',
};

export function checkRoomId(roomId: string): void {
  if (!isValidRoomId(roomId)) throw errors.invalidParam(`${JSON.stringify(roomId)} is not a valid room ID`);
}

function checkType(type: string): void {
  if (type.length === 0 || Buffer.byteLength(type, 'utf8') > 255) throw errors.invalidParam('Account data types are 1 to 255 bytes');
}

/**
 * GET/PUT /_matrix/client/v3/user/{userId}/account_data/{type}
 * GET/PUT /_matrix/client/v3/user/{userId}/rooms/{roomId}/account_data/{type}
 * Any type and content a client chooses (secret storage, cross-signing, key backup …), bounded by
 * the request body limit only; each write moves the account-data stream position.
 */
export function accountDataRoutes(router: Router, d: RouteDeps): void {
  const { users } = d;

  const get = async (ctx: Context, roomId: string | null): Promise<void> => {
    const { userId, type } = ctx.params as { userId: string; type: string };
    requireSelf(getRequester(ctx), userId, 'get account data');
    if (roomId !== null) checkRoomId(roomId);
    const content = await getAccountData(users.db, userId, roomId, type);
    if (content === undefined) throw errors.notFound('Account data not found');
    ctx.body = content;
  };

  const put = async (ctx: Context, roomId: string | null): Promise<void> => {
    const { userId, type } = ctx.params as { userId: string; type: string };
    requireSelf(getRequester(ctx), userId, 'add account data');
    if (roomId !== null) checkRoomId(roomId);
    checkType(type);
    if (SERVER_MANAGED[type]) throw new MatrixError(405, 'M_BAD_JSON', SERVER_MANAGED[type]);
    const content = await readJsonObject(ctx);
    await users.putAccountData(userId, roomId, type, content);
    ctx.body = {};
  };

  router.get(`${CLIENT}/user/:userId/account_data/:type`, d.auth, (ctx) => get(ctx, null));
  router.put(`${CLIENT}/user/:userId/account_data/:type`, d.auth, (ctx) => put(ctx, null));
  router.get(`${CLIENT}/user/:userId/rooms/:roomId/account_data/:type`, d.auth, (ctx) => get(ctx, ctx.params.roomId!));
  router.put(`${CLIENT}/user/:userId/rooms/:roomId/account_data/:type`, d.auth, (ctx) => put(ctx, ctx.params.roomId!));
}
