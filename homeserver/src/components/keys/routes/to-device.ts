import type Router from '@koa/router';
import { z } from 'zod';
import type { JsonObject } from '../../../core/json.js';
import { getRequester } from '../../../http/auth.js';
import { jsonBody } from '../../../http/body.js';
import { errors } from '../../../http/errors.js';
import { idString, objectSchema, userIdString } from '../schemas.js';
import { CLIENT, type KeysRouteDeps } from './common.js';

const sendBody = z.object({ messages: z.record(userIdString, z.record(idString, objectSchema)) }).passthrough();

function checkPathParam(value: string, name: string): void {
  if (value.length === 0 || Buffer.byteLength(value, 'utf8') > 255) throw errors.invalidParam(`${name} must be 1 to 255 bytes`);
}

/** PUT /_matrix/client/v3/sendToDevice/{eventType}/{txnId} — messages to devices (`*`: all of a user's). */
export function toDeviceRoutes(router: Router, d: KeysRouteDeps): void {
  router.put(`${CLIENT}/sendToDevice/:eventType/:txnId`, d.auth, async (ctx) => {
    const { eventType, txnId } = ctx.params as { eventType: string; txnId: string };
    checkPathParam(eventType, 'eventType');
    checkPathParam(txnId, 'txnId');
    const body = await jsonBody(ctx, sendBody);
    await d.toDevice.send(getRequester(ctx), eventType, txnId, body.messages as Record<string, Record<string, JsonObject>>);
    ctx.body = {};
  });
}
