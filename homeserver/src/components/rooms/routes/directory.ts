import type Router from '@koa/router';
import type { RouterContext } from '@koa/router';
import { z } from 'zod';
import { isValidRoomId } from '../../../core/ids.js';
import { getRequester, requireAuth, type Authenticate } from '../../../http/auth.js';
import { jsonBody } from '../../../http/body.js';
import { errors } from '../../../http/errors.js';
import type { Directory } from '../directory.js';
import { checkPathParams, parseQuery, queryInteger, text } from './query.js';

const setAlias = z.object({ room_id: text(), servers: z.array(z.string()).optional() });
const setVisibility = z.object({ visibility: z.enum(['public', 'private']).optional() });
const publicRoomsQuery = z.object({
  limit: queryInteger({ min: 0 }).optional(),
  since: z.string().optional(),
  server: z.string().optional(),
});
const publicRoomsBody = z.object({
  limit: z.number().int().min(0).optional(),
  since: z.string().optional(),
  filter: z
    .object({
      generic_search_term: text().optional(),
      room_types: z.array(text().nullable()).optional(),
    })
    .optional(),
  include_all_networks: z.boolean().optional(),
  third_party_instance_id: z.string().optional(),
});
const publicRoomsServer = z.object({ server: z.string().optional() });

function roomIdParam(ctx: RouterContext): string {
  const roomId = ctx.params.roomId!;
  if (!isValidRoomId(roomId)) throw errors.invalidParam('Invalid room ID');
  return roomId;
}

/**
 * GET|PUT|DELETE /_matrix/client/v3/directory/room/{roomAlias}
 * GET /_matrix/client/v3/rooms/{roomId}/aliases
 * GET|PUT /_matrix/client/v3/directory/list/room/{roomId}
 * GET|POST /_matrix/client/v3/publicRooms
 */
export function directoryRoutes(router: Router, directory: Directory, serverName: string, authenticate: Authenticate): void {
  const auth = requireAuth(authenticate);
  const params = checkPathParams;
  // Until federation can ask other servers, only our own directory can be listed.
  const ownServer = (server: string | undefined): void => {
    if (server !== undefined && server !== serverName) throw errors.invalidParam(`Listing the room directory of ${server} is not supported yet`);
  };

  router.get('/_matrix/client/v3/directory/room/:roomAlias', params, async (ctx) => {
    ctx.body = await directory.resolve(ctx.params.roomAlias!);
  });
  router.put('/_matrix/client/v3/directory/room/:roomAlias', auth, params, async (ctx) => {
    const body = await jsonBody(ctx, setAlias);
    await directory.create(getRequester(ctx), ctx.params.roomAlias!, body.room_id);
    ctx.body = {};
  });
  router.delete('/_matrix/client/v3/directory/room/:roomAlias', auth, params, async (ctx) => {
    await directory.delete(getRequester(ctx), ctx.params.roomAlias!);
    ctx.body = {};
  });

  router.get('/_matrix/client/v3/rooms/:roomId/aliases', auth, async (ctx) => {
    ctx.body = { aliases: await directory.localAliases(getRequester(ctx), roomIdParam(ctx)) };
  });

  router.get('/_matrix/client/v3/directory/list/room/:roomId', async (ctx) => {
    ctx.body = { visibility: await directory.visibility(roomIdParam(ctx)) };
  });
  router.put('/_matrix/client/v3/directory/list/room/:roomId', auth, async (ctx) => {
    const roomId = roomIdParam(ctx);
    const body = await jsonBody(ctx, setVisibility, { allowEmpty: true });
    await directory.setVisibility(getRequester(ctx), roomId, body.visibility ?? 'public');
    ctx.body = {};
  });

  router.get('/_matrix/client/v3/publicRooms', async (ctx) => {
    const q = parseQuery(ctx, publicRoomsQuery);
    ownServer(q.server);
    ctx.body = await directory.publicRooms({ limit: q.limit, since: q.since });
  });
  router.post('/_matrix/client/v3/publicRooms', auth, async (ctx) => {
    ownServer(parseQuery(ctx, publicRoomsServer).server);
    const body = await jsonBody(ctx, publicRoomsBody, { allowEmpty: true });
    ctx.body = await directory.publicRooms({
      limit: body.limit,
      since: body.since,
      searchTerm: body.filter?.generic_search_term,
      roomTypes: body.filter?.room_types,
      thirdPartyInstanceId: body.include_all_networks ? undefined : body.third_party_instance_id,
    });
  });
}
