import type Router from '@koa/router';
import { z } from 'zod';
import type { JsonObject } from '../../../core/json.js';
import { getRequester } from '../../../http/auth.js';
import { jsonBody, validate } from '../../../http/body.js';
import { errors } from '../../../http/errors.js';
import { MEGOLM_BACKUP_V1 } from '../backup.js';
import { isEd25519Key } from '../key-format.js';
import { idString, objectSchema, signaturesSchema } from '../schemas.js';
import { CLIENT, type KeysRouteDeps } from './common.js';

/** auth_data per backup algorithm; an algorithm not listed here is refused. */
const AUTH_DATA: Record<string, z.ZodType> = {
  [MEGOLM_BACKUP_V1]: z
    .object({
      // A Curve25519 public key: 32 bytes, as an Ed25519 one.
      public_key: z.string().refine(isEd25519Key, 'must be an unpadded-base64 Curve25519 public key'),
      signatures: signaturesSchema.optional(),
    })
    .passthrough(),
};

const createBody = z.object({ algorithm: idString, auth_data: objectSchema }).passthrough();
const updateBody = z.object({ algorithm: idString, auth_data: objectSchema, version: z.string().max(255).optional() }).passthrough();

function checkAuthData(algorithm: string, authData: unknown): JsonObject {
  const schema = AUTH_DATA[algorithm];
  if (!schema) throw errors.invalidParam(`Unsupported backup algorithm ${JSON.stringify(algorithm)}; supported: ${Object.keys(AUTH_DATA).join(', ')}`);
  return validate(schema, authData) as JsonObject;
}

/**
 * POST   /_matrix/client/v3/room_keys/version — a new backup version.
 * GET    /_matrix/client/v3/room_keys/version — the current version.
 * GET    /_matrix/client/v3/room_keys/version/{version}
 * PUT    /_matrix/client/v3/room_keys/version/{version} — new auth_data.
 * DELETE /_matrix/client/v3/room_keys/version/{version} — the version and its keys.
 */
export function backupVersionRoutes(router: Router, d: KeysRouteDeps): void {
  router.post(`${CLIENT}/room_keys/version`, d.auth, async (ctx) => {
    const body = await jsonBody(ctx, createBody);
    const authData = checkAuthData(body.algorithm, body.auth_data);
    ctx.body = { version: await d.backup.createVersion(getRequester(ctx).userId, body.algorithm, authData) };
  });

  router.get(`${CLIENT}/room_keys/version`, d.auth, async (ctx) => {
    ctx.body = await d.backup.getVersion(getRequester(ctx).userId);
  });

  router.get(`${CLIENT}/room_keys/version/:version`, d.auth, async (ctx) => {
    ctx.body = await d.backup.getVersion(getRequester(ctx).userId, ctx.params.version!);
  });

  router.put(`${CLIENT}/room_keys/version/:version`, d.auth, async (ctx) => {
    const body = await jsonBody(ctx, updateBody);
    const authData = checkAuthData(body.algorithm, body.auth_data);
    await d.backup.updateVersion(getRequester(ctx).userId, ctx.params.version!, { algorithm: body.algorithm, auth_data: authData, version: body.version });
    ctx.body = {};
  });

  router.delete(`${CLIENT}/room_keys/version/:version`, d.auth, async (ctx) => {
    await d.backup.deleteVersion(getRequester(ctx).userId, ctx.params.version!);
    ctx.body = {};
  });
}
