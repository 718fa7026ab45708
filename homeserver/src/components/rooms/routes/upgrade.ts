import type Router from '@koa/router';
import { z } from 'zod';
import { parseUserId } from '../../../core/ids.js';
import { getRequester, requireAuth, type Authenticate } from '../../../http/auth.js';
import { jsonBody } from '../../../http/body.js';
import { errors } from '../../../http/errors.js';
import type { RoomUpgrader } from '../upgrade.js';
import { checkPathParams } from './query.js';

const upgradeBody = z.object({
  new_version: z.string(),
  additional_creators: z.array(z.string()).max(100).optional(),
});

/** POST /_matrix/client/v3/rooms/{roomId}/upgrade */
export function upgradeRoutes(router: Router, upgrader: RoomUpgrader, authenticate: Authenticate): void {
  router.post('/_matrix/client/v3/rooms/:roomId/upgrade', requireAuth(authenticate), checkPathParams, async (ctx) => {
    const body = await jsonBody(ctx, upgradeBody);
    for (const u of body.additional_creators ?? []) {
      if (!parseUserId(u)) throw errors.invalidParam(`additional_creators: invalid user ID ${u}`);
    }
    const replacement = await upgrader.upgrade(getRequester(ctx), ctx.params.roomId!, body.new_version, body.additional_creators);
    ctx.body = { replacement_room: replacement };
  });
}
