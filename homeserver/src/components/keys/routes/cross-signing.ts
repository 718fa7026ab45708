import type Router from '@koa/router';
import { z } from 'zod';
import { getRequester } from '../../../http/auth.js';
import { jsonBody } from '../../../http/body.js';
import { uploadSignatures, uploadSigningKeys } from '../cross-signing.js';
import { crossSigningKeySchema, idString, objectSchema, userIdString } from '../schemas.js';
import { CLIENT, type KeysRouteDeps } from './common.js';

const signingKeysBody = z
  .object({
    master_key: crossSigningKeySchema.optional(),
    self_signing_key: crossSigningKeySchema.optional(),
    user_signing_key: crossSigningKeySchema.optional(),
    auth: objectSchema.optional(),
  })
  .passthrough();

const signaturesBody = z.record(userIdString, z.record(idString, objectSchema));

/**
 * POST /_matrix/client/v3/keys/device_signing/upload — cross-signing keys (UIA to replace them).
 * POST /_matrix/client/v3/keys/signatures/upload — signatures of devices and master keys.
 */
export function crossSigningRoutes(router: Router, d: KeysRouteDeps): void {
  router.post(`${CLIENT}/keys/device_signing/upload`, d.auth, async (ctx) => {
    const body = await jsonBody(ctx, signingKeysBody);
    await uploadSigningKeys(d.k, d.deviceLists, ctx, getRequester(ctx), body);
    ctx.body = {};
  });

  router.post(`${CLIENT}/keys/signatures/upload`, d.auth, async (ctx) => {
    const body = await jsonBody(ctx, signaturesBody);
    ctx.body = await uploadSignatures(d.k, d.deviceLists, getRequester(ctx).userId, body);
  });
}
