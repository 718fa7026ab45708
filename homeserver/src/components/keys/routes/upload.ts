import type Router from '@koa/router';
import { z } from 'zod';
import { getRequester } from '../../../http/auth.js';
import { jsonBody } from '../../../http/body.js';
import { deviceKeysSchema, oneTimeKeysSchema } from '../schemas.js';
import { uploadKeys } from '../uploads.js';
import { CLIENT, type KeysRouteDeps } from './common.js';

const uploadBody = z
  .object({
    device_keys: deviceKeysSchema.optional(),
    one_time_keys: oneTimeKeysSchema.optional(),
    fallback_keys: oneTimeKeysSchema.optional(),
  })
  .passthrough();

/** POST /_matrix/client/v3/keys/upload — the device's identity, one-time and fallback keys. */
export function uploadRoutes(router: Router, d: KeysRouteDeps): void {
  router.post(`${CLIENT}/keys/upload`, d.auth, async (ctx) => {
    const body = await jsonBody(ctx, uploadBody);
    ctx.body = { one_time_key_counts: await uploadKeys(d.k, d.deviceLists, getRequester(ctx), body) };
  });
}
