import type Router from '@koa/router';
import type { Middleware } from 'koa';
import { parseUserId } from '../../../core/ids.js';
import { errors } from '../../../http/errors.js';
import { queryString } from '../../../http/params.js';
import type { UsersFederation } from '../api.js';
import { isLocalUser } from '../ids.js';
import type { UsersService } from '../service.js';

/**
 * GET /_matrix/federation/v1/query/profile?user_id=…[&field=…] — a local user's public profile for
 * another server: every field, or only `field`. 404 when the user or the field does not exist
 * here (a user of another server does not exist here either).
 */
export function federationProfileRoutes(router: Router, users: UsersService, federation: () => UsersFederation | undefined): void {
  // The middleware comes with the federation plugged in later; until then nothing authenticates.
  const serverAuth: Middleware = (ctx, next) => {
    const f = federation();
    if (!f) throw errors.unrecognized('Federation is not available on this server');
    return f.requireServerAuth(ctx, next);
  };

  router.get('/_matrix/federation/v1/query/profile', serverAuth, async (ctx) => {
    const userId = queryString(ctx, 'user_id');
    const field = queryString(ctx, 'field');
    if (userId === undefined || userId === '') throw errors.missingParam('user_id is required');
    if (parseUserId(userId) === null) throw errors.invalidParam('user_id is not a user ID');
    const profile = isLocalUser(userId, users.serverName) ? await users.getProfile(userId) : undefined;
    if (!profile) throw errors.notFound('User does not exist');
    if (field === undefined) {
      ctx.body = profile;
      return;
    }
    if (!Object.hasOwn(profile, field)) throw errors.notFound('Profile field not found');
    ctx.body = { [field]: profile[field] };
  });
}
