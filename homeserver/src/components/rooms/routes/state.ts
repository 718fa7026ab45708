import type Router from '@koa/router';
import type { RouterContext } from '@koa/router';
import { z } from 'zod';
import { getRequester, requireAuth, type Authenticate } from '../../../http/auth.js';
import { jsonBody } from '../../../http/body.js';
import { errors } from '../../../http/errors.js';
import { queryString } from '../../../http/params.js';
import type { RoomReader } from '../reader.js';
import type { RoomsService } from '../service.js';

const content = z.record(z.string(), z.unknown());

/**
 * GET /_matrix/client/v3/rooms/{roomId}/state
 * GET|PUT /_matrix/client/v3/rooms/{roomId}/state/{eventType}/{stateKey} (state key may be empty)
 */
export function stateRoutes(router: Router, service: RoomsService, reader: RoomReader, authenticate: Authenticate): void {
  const auth = requireAuth(authenticate);
  router.get('/_matrix/client/v3/rooms/:roomId/state', auth, async (ctx) => {
    ctx.body = await reader.stateForUser(getRequester(ctx), ctx.params.roomId!);
  });

  const get = async (ctx: RouterContext) => {
    const requester = getRequester(ctx);
    const event = await reader.stateEventForUser(requester, ctx.params.roomId!, ctx.params.eventType!, ctx.params.stateKey ?? '');
    if (!event) throw errors.notFound('Event not found.');
    const format = queryString(ctx, 'format');
    ctx.body = format === 'event' ? event : event.content;
  };
  const put = async (ctx: RouterContext) => {
    const requester = getRequester(ctx);
    const type = ctx.params.eventType!;
    if (Buffer.byteLength(type) > 255) throw errors.invalidParam('event type is longer than 255 bytes');
    const body = await jsonBody(ctx, content);
    const event = await service.setState(requester, ctx.params.roomId!, type, ctx.params.stateKey ?? '', body as never);
    ctx.body = { event_id: event.eventId };
  };
  for (const path of ['/_matrix/client/v3/rooms/:roomId/state/:eventType', '/_matrix/client/v3/rooms/:roomId/state/:eventType/:stateKey']) {
    router.get(path, auth, get);
    router.put(path, auth, put);
  }
}
