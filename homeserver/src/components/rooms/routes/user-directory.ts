import type Router from '@koa/router';
import { z } from 'zod';
import { getRequester, requireAuth, type Authenticate } from '../../../http/auth.js';
import { jsonBody } from '../../../http/body.js';
import type { UserDirectory } from '../user-directory.js';
import { text } from './query.js';

const searchBody = z.object({
  search_term: text(),
  limit: z.number().int().min(0).optional(),
});

/** POST /_matrix/client/v3/user_directory/search */
export function userDirectoryRoutes(router: Router, directory: UserDirectory, authenticate: Authenticate): void {
  router.post('/_matrix/client/v3/user_directory/search', requireAuth(authenticate), async (ctx) => {
    const body = await jsonBody(ctx, searchBody);
    ctx.body = await directory.search(getRequester(ctx).userId, body.search_term, body.limit ?? 10);
  });
}
