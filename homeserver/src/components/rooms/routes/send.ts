import type Router from '@koa/router';
import { z } from 'zod';
import { getRequester, requireAuth, type Authenticate } from '../../../http/auth.js';
import { jsonBody } from '../../../http/body.js';
import { errors } from '../../../http/errors.js';
import type { RoomsService } from '../service.js';

const content = z.record(z.string(), z.unknown());
const redactBody = z.object({ reason: z.string().optional() });

function checkEventType(type: string): void {
  if (type.length === 0 || Buffer.byteLength(type) > 255) throw errors.invalidParam('event type must be 1 to 255 bytes');
}

/**
 * PUT /_matrix/client/v3/rooms/{roomId}/send/{eventType}/{txnId}
 * PUT /_matrix/client/v3/rooms/{roomId}/redact/{eventId}/{txnId}
 */
export function sendRoutes(router: Router, service: RoomsService, authenticate: Authenticate): void {
  const auth = requireAuth(authenticate);
  router.put('/_matrix/client/v3/rooms/:roomId/send/:eventType/:txnId', auth, async (ctx) => {
    const requester = getRequester(ctx);
    const type = ctx.params.eventType!;
    checkEventType(type);
    const body = await jsonBody(ctx, content);
    if (type === 'm.room.redaction') throw errors.badJson('Use the /redact endpoint to redact events');
    const event = await service.send(requester, ctx.params.roomId!, type, body as never, ctx.params.txnId!);
    ctx.body = { event_id: event.eventId };
  });

  router.put('/_matrix/client/v3/rooms/:roomId/redact/:eventId/:txnId', auth, async (ctx) => {
    const requester = getRequester(ctx);
    const body = await jsonBody(ctx, redactBody, { allowEmpty: true });
    const event = await service.redact(requester, ctx.params.roomId!, ctx.params.eventId!, body.reason, ctx.params.txnId!);
    ctx.body = { event_id: event.eventId };
  });
}
