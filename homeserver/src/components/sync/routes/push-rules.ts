import type Router from '@koa/router';
import { defaultPushRules } from '../../../core/push-rules/defaults.js';
import { getRequester, requireAuth, type Authenticate } from '../../../http/auth.js';

/**
 * GET /_matrix/client/v3/pushrules/ and /pushrules/global/ — the default rule set, read-only until
 * push rules become editable; clients refuse to start without it.
 */
export function pushRuleRoutes(router: Router, authenticate: Authenticate): void {
  const auth = requireAuth(authenticate);
  router.get('/_matrix/client/v3/pushrules/', auth, (ctx) => {
    ctx.body = { global: defaultPushRules(getRequester(ctx).userId) };
  });
  router.get('/_matrix/client/v3/pushrules/global/', auth, (ctx) => {
    ctx.body = defaultPushRules(getRequester(ctx).userId);
  });
}
