import type Router from '@koa/router';
import type { Middleware } from 'koa';
import { z } from 'zod';
import { parseUserId } from '../../../core/ids.js';
import type { JsonObject } from '../../../core/json.js';
import { validate } from '../../../http/body.js';
import { errors } from '../../../http/errors.js';
import { signedContent } from '../../federation/api.js';
import type { KeysContext } from '../context.js';
import { claimLocalKeys, queryLocalKeys } from '../queries.js';
import { idString, userIdString } from '../schemas.js';
import { currentDeviceListId } from '../storage/device-list-versions.js';

const FEDERATION = '/_matrix/federation/v1';

const queryBody = z.object({ device_keys: z.record(userIdString, z.array(idString).max(1000)) }).passthrough();
const claimBody = z.object({ one_time_keys: z.record(userIdString, z.record(idString, idString)) }).passthrough();

/** A server speaks only for its own users; asking it about others is refused. */
function requireLocal(k: KeysContext, userIds: Iterable<string>): void {
  for (const userId of userIds) {
    if (!k.isLocal(userId)) throw errors.forbidden(`${userId} is not a user of this server`);
  }
}

/** Device identity keys as they go over federation: what the device signed, without `unsigned`. */
function withoutUnsigned(keys: JsonObject): { signed: JsonObject; displayName: string | undefined } {
  const { unsigned, ...signed } = keys;
  const name = (unsigned as { device_display_name?: unknown } | undefined)?.device_display_name;
  return { signed, displayName: typeof name === 'string' ? name : undefined };
}

/**
 * GET  /_matrix/federation/v1/user/devices/{userId} — a local user's devices with their keys.
 * POST /_matrix/federation/v1/user/keys/query — local users' device and cross-signing keys.
 * POST /_matrix/federation/v1/user/keys/claim — one-time (else fallback) keys of local devices.
 * Other servers never see user-signing keys, nor signatures made with them.
 */
export function federationKeyRoutes(router: Router, k: KeysContext): void {
  // The middleware comes with the federation plugged in later; until then nothing authenticates.
  const serverAuth: Middleware = (ctx, next) => {
    const federation = k.federation();
    if (!federation) throw errors.unrecognized('Federation is not available on this server');
    return federation.requireServerAuth(ctx, next);
  };

  router.get(`${FEDERATION}/user/devices/:userId`, serverAuth, async (ctx) => {
    const userId = ctx.params.userId!;
    if (parseUserId(userId) === null) throw errors.invalidParam('userId is not a user ID');
    requireLocal(k, [userId]);
    if (!(await k.users.userExists(userId))) throw errors.notFound('Unknown user');
    // The version is read first: an update landing in between is then applied again, harmlessly.
    const streamId = await currentDeviceListId(k.db, userId);
    const keys = await queryLocalKeys(k, undefined, { [userId]: [] });
    const devices = Object.entries(keys.device_keys[userId] ?? {}).map(([deviceId, deviceKeys]) => {
      const { signed, displayName } = withoutUnsigned(deviceKeys);
      return { device_id: deviceId, keys: signed, ...(displayName !== undefined ? { device_display_name: displayName } : {}) };
    });
    const master = keys.master_keys[userId];
    const selfSigning = keys.self_signing_keys[userId];
    ctx.body = { user_id: userId, stream_id: streamId, devices, ...(master ? { master_key: master } : {}), ...(selfSigning ? { self_signing_key: selfSigning } : {}) };
  });

  router.post(`${FEDERATION}/user/keys/query`, serverAuth, async (ctx) => {
    const body = validate(queryBody, signedContent(ctx));
    requireLocal(k, Object.keys(body.device_keys));
    const { device_keys, master_keys, self_signing_keys } = await queryLocalKeys(k, undefined, body.device_keys);
    ctx.body = { device_keys, master_keys, self_signing_keys };
  });

  router.post(`${FEDERATION}/user/keys/claim`, serverAuth, async (ctx) => {
    const body = validate(claimBody, signedContent(ctx));
    requireLocal(k, Object.keys(body.one_time_keys));
    ctx.body = { one_time_keys: await claimLocalKeys(k, body.one_time_keys) };
  });
}
