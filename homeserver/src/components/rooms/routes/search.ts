import type Router from '@koa/router';
import { z } from 'zod';
import { getRequester, requireAuth, type Authenticate } from '../../../http/auth.js';
import { jsonBody } from '../../../http/body.js';
import { roomEventFilterSchema } from '../event-filter.js';
import type { MessageSearch } from '../search.js';
import { SEARCH_KEYS } from '../storage/search.js';
import { parseQuery, text } from './query.js';

/** Context sizes above this are lowered to it. */
const MAX_CONTEXT = 100;

const LISTS = ['types', 'not_types', 'senders', 'not_senders', 'rooms', 'not_rooms'] as const;

/** The filter's lists reach the database as text, which cannot hold NUL. */
const filter = roomEventFilterSchema.superRefine((f, ctx) => {
  for (const name of LISTS) {
    if (f[name]?.some((s) => s.includes('\u0000'))) ctx.addIssue({ code: 'custom', path: [name], message: 'must not contain NUL characters' });
  }
});

const contextLimit = z.number().int().min(0).transform((n) => Math.min(n, MAX_CONTEXT));

const searchBody = z.object({
  search_categories: z.object({
    room_events: z
      .object({
        search_term: text(),
        keys: z.array(z.enum(SEARCH_KEYS)).optional(),
        filter: filter.optional(),
        order_by: z.enum(['recent', 'rank']).optional(),
        event_context: z
          .object({
            before_limit: contextLimit.optional(),
            after_limit: contextLimit.optional(),
            include_profile: z.boolean().optional(),
          })
          .optional(),
        include_state: z.boolean().optional(),
        groupings: z.object({ group_by: z.array(z.object({ key: z.enum(['room_id', 'sender']) })).optional() }).optional(),
      })
      .optional(),
  }),
});

const searchQuery = z.object({ next_batch: z.string().optional() });

/** POST /_matrix/client/v3/search */
export function searchRoutes(router: Router, search: MessageSearch, authenticate: Authenticate): void {
  router.post('/_matrix/client/v3/search', requireAuth(authenticate), async (ctx) => {
    const { next_batch: nextBatch } = parseQuery(ctx, searchQuery);
    const body = await jsonBody(ctx, searchBody);
    const criteria = body.search_categories.room_events;
    if (!criteria) {
      // No category we know was asked for: nothing to search.
      ctx.body = { search_categories: {} };
      return;
    }
    const context = criteria.event_context;
    const roomEvents = await search.roomEvents(
      getRequester(ctx),
      {
        searchTerm: criteria.search_term,
        keys: criteria.keys ?? SEARCH_KEYS,
        filter: criteria.filter ?? {},
        orderBy: criteria.order_by ?? 'rank',
        eventContext: context
          ? { beforeLimit: context.before_limit ?? 5, afterLimit: context.after_limit ?? 5, includeProfile: context.include_profile ?? false }
          : undefined,
        includeState: criteria.include_state ?? false,
        groupBy: [...new Set((criteria.groupings?.group_by ?? []).map((g) => g.key))],
      },
      nextBatch,
    );
    ctx.body = { search_categories: { room_events: roomEvents } };
  });
}
