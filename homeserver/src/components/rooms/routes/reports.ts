import type Router from '@koa/router';
import { z } from 'zod';
import { getRequester, requireAuth, type Authenticate } from '../../../http/auth.js';
import { jsonBody, readJsonObject, validate } from '../../../http/body.js';
import { errors } from '../../../http/errors.js';
import type { JsonObject } from '../../../core/json.js';
import type { Reports } from '../reports.js';
import { checkPathParams, text } from './query.js';

const eventReport = z.object({
  reason: text().optional(),
  score: z.number().int().optional(),
});
const roomReport = z.object({ reason: text() });

/**
 * POST /_matrix/client/v3/rooms/{roomId}/report/{eventId}
 * POST /_matrix/client/v3/rooms/{roomId}/report
 */
export function reportRoutes(router: Router, reports: Reports, authenticate: Authenticate): void {
  const auth = requireAuth(authenticate);
  router.post('/_matrix/client/v3/rooms/:roomId/report/:eventId', auth, checkPathParams, async (ctx) => {
    // The whole body is kept with the report, as Synapse keeps it.
    const raw = await readJsonObject(ctx);
    const body = validate(eventReport, raw);
    if (body.score !== undefined && (body.score < -100 || body.score > 0)) throw errors.invalidParam('score must be between -100 and 0');
    await reports.reportEvent(getRequester(ctx), ctx.params.roomId!, ctx.params.eventId!, body, raw as JsonObject);
    ctx.body = {};
  });
  router.post('/_matrix/client/v3/rooms/:roomId/report', auth, checkPathParams, async (ctx) => {
    const body = await jsonBody(ctx, roomReport);
    await reports.reportRoom(getRequester(ctx), ctx.params.roomId!, body.reason);
    ctx.body = {};
  });
}
