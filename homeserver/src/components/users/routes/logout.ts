import type Router from '@koa/router';
import { getRequester } from '../../../http/auth.js';
import { CLIENT, type RouteDeps } from './common.js';

/**
 * POST /_matrix/client/v3/logout — ends this session: the device and its tokens go.
 * POST /_matrix/client/v3/logout/all — every device of the user goes.
 */
export function logoutRoutes(router: Router, d: RouteDeps): void {
  router.post(`${CLIENT}/logout`, d.auth, async (ctx) => {
    const r = getRequester(ctx);
    await d.users.deleteDevices(r.userId, [r.deviceId]);
    ctx.body = {};
  });

  router.post(`${CLIENT}/logout/all`, d.auth, async (ctx) => {
    await d.users.deleteDevices(getRequester(ctx).userId, {});
    ctx.body = {};
  });
}
