import type Router from '@koa/router';
import { z } from 'zod';
import { getRequester, requireAuth, type Authenticate } from '../../../http/auth.js';
import type { TimestampLookup } from '../timestamp-lookup.js';
import { checkPathParams, parseQuery, queryInteger } from './query.js';

const timestampQuery = z.object({
  ts: queryInteger({ min: 0 }),
  dir: z.enum(['f', 'b'], 'must be "f" or "b"'),
});

/** GET /_matrix/client/v1/rooms/{roomId}/timestamp_to_event */
export function timestampRoutes(router: Router, lookup: TimestampLookup, authenticate: Authenticate): void {
  router.get('/_matrix/client/v1/rooms/:roomId/timestamp_to_event', requireAuth(authenticate), checkPathParams, async (ctx) => {
    const q = parseQuery(ctx, timestampQuery);
    ctx.body = await lookup.closest(getRequester(ctx), ctx.params.roomId!, q.ts, q.dir);
  });
}
