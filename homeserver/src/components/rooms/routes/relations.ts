import type Router from '@koa/router';
import type { RouterContext } from '@koa/router';
import { z } from 'zod';
import { getRequester, requireAuth, type Authenticate } from '../../../http/auth.js';
import type { RelationPages } from '../relation-pages.js';
import { checkPathParams, parseQuery, queryBoolean, queryInteger } from './query.js';

const relationsQuery = z.object({
  from: z.string().optional(),
  to: z.string().optional(),
  limit: queryInteger({ min: 1, max: 1000 }).optional(),
  dir: z.enum(['b', 'f'], 'must be "b" or "f"').optional(),
  recurse: queryBoolean.optional(),
});

const threadsQuery = z.object({
  include: z.enum(['all', 'participated'], 'must be "all" or "participated"').optional(),
  from: z.string().optional(),
  limit: queryInteger({ min: 1, max: 100 }).optional(),
});

/**
 * GET /_matrix/client/v1/rooms/{roomId}/relations/{eventId}
 * GET /_matrix/client/v1/rooms/{roomId}/relations/{eventId}/{relType}
 * GET /_matrix/client/v1/rooms/{roomId}/relations/{eventId}/{relType}/{eventType}
 * GET /_matrix/client/v1/rooms/{roomId}/threads
 */
export function relationRoutes(router: Router, pages: RelationPages, authenticate: Authenticate): void {
  const auth = [requireAuth(authenticate), checkPathParams];
  const relations = async (ctx: RouterContext) => {
    const q = parseQuery(ctx, relationsQuery);
    ctx.body = await pages.relations(getRequester(ctx), ctx.params.roomId!, ctx.params.eventId!, {
      relType: ctx.params.relType,
      eventType: ctx.params.eventType,
      from: q.from,
      to: q.to,
      // Synapse's defaults: five children, newest first.
      limit: q.limit ?? 5,
      dir: q.dir ?? 'b',
      recurse: q.recurse,
    });
  };
  router.get('/_matrix/client/v1/rooms/:roomId/relations/:eventId', ...auth, relations);
  router.get('/_matrix/client/v1/rooms/:roomId/relations/:eventId/:relType', ...auth, relations);
  router.get('/_matrix/client/v1/rooms/:roomId/relations/:eventId/:relType/:eventType', ...auth, relations);

  router.get('/_matrix/client/v1/rooms/:roomId/threads', ...auth, async (ctx) => {
    const q = parseQuery(ctx, threadsQuery);
    ctx.body = await pages.threads(getRequester(ctx), ctx.params.roomId!, { include: q.include ?? 'all', from: q.from, limit: q.limit ?? 5 });
  });
}
