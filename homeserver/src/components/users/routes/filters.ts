import type Router from '@koa/router';
import { z } from 'zod';
import { errors } from '../../../http/errors.js';
import { jsonBody } from '../../../http/body.js';
import { getRequester } from '../../../http/auth.js';
import { getFilter, insertFilter } from '../storage/filters.js';
import { CLIENT, requireSelf, type RouteDeps } from './common.js';

const strings = z.array(z.string()).optional();

const eventFilter = z
  .object({
    limit: z.number().int().positive().optional(),
    not_senders: strings,
    not_types: strings,
    senders: strings,
    types: strings,
  })
  .passthrough();

const roomEventFilter = eventFilter
  .extend({
    unread_thread_notifications: z.boolean().optional(),
    lazy_load_members: z.boolean().optional(),
    include_redundant_members: z.boolean().optional(),
    not_rooms: strings,
    rooms: strings,
    contains_url: z.boolean().optional(),
  })
  .passthrough();

/** The spec's Filter: known fields must have their types; unknown fields are kept. */
export const filterSchema = z
  .object({
    event_fields: strings,
    event_format: z.enum(['client', 'federation']).optional(),
    presence: eventFilter.optional(),
    account_data: eventFilter.optional(),
    room: z
      .object({
        not_rooms: strings,
        rooms: strings,
        ephemeral: roomEventFilter.optional(),
        include_leave: z.boolean().optional(),
        state: roomEventFilter.optional(),
        timeline: roomEventFilter.optional(),
        account_data: roomEventFilter.optional(),
      })
      .passthrough()
      .optional(),
  })
  .passthrough();

/**
 * POST /_matrix/client/v3/user/{userId}/filter — stores a filter, answers its ID.
 * GET  /_matrix/client/v3/user/{userId}/filter/{filterId}
 */
export function filterRoutes(router: Router, d: RouteDeps): void {
  const { users } = d;

  router.post(`${CLIENT}/user/:userId/filter`, d.auth, async (ctx) => {
    const userId = ctx.params.userId!;
    requireSelf(getRequester(ctx), userId, 'create filters');
    const filter = await jsonBody(ctx, filterSchema);
    ctx.body = { filter_id: await insertFilter(users.db, userId, filter) };
  });

  router.get(`${CLIENT}/user/:userId/filter/:filterId`, d.auth, async (ctx) => {
    const { userId, filterId } = ctx.params as { userId: string; filterId: string };
    requireSelf(getRequester(ctx), userId, 'get filters');
    const filter = await getFilter(users.db, userId, filterId);
    if (!filter) throw errors.notFound('No such filter');
    ctx.body = filter;
  });
}
