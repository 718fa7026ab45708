import type Router from '@koa/router';
import { z } from 'zod';
import { errors } from '../../../http/errors.js';
import { jsonBody } from '../../../http/body.js';
import { getRequester } from '../../../http/auth.js';
import { authDictSchema } from '../uia.js';
import { MAX_PASSWORD_LENGTH } from '../passwords.js';
import { CLIENT, limitPasswordAttempts, type RouteDeps } from './common.js';

const PASSWORD_FLOWS = [['m.login.password']];

const passwordBody = z
  .object({
    auth: authDictSchema.optional(),
    new_password: z.string().max(MAX_PASSWORD_LENGTH).optional(),
    logout_devices: z.boolean().optional(),
  })
  .passthrough();

const deactivateBody = z
  .object({
    auth: authDictSchema.optional(),
    erase: z.boolean().optional(),
    id_server: z.string().optional(),
  })
  .passthrough();

/**
 * GET  /_matrix/client/v3/account/whoami — who this token belongs to.
 * POST /_matrix/client/v3/account/password — new password (UIA: m.login.password).
 * POST /_matrix/client/v3/account/deactivate — closes the account (UIA: m.login.password).
 * GET  /_matrix/client/v3/account/3pid — always empty: this server keeps no third-party IDs.
 */
export function accountRoutes(router: Router, d: RouteDeps): void {
  const { users } = d;

  router.get(`${CLIENT}/account/whoami`, d.auth, (ctx) => {
    const r = getRequester(ctx);
    ctx.body = { user_id: r.userId, device_id: r.deviceId, is_guest: false };
  });

  router.post(`${CLIENT}/account/password`, d.auth, async (ctx) => {
    const r = getRequester(ctx);
    const body = await jsonBody(ctx, passwordBody);
    if (body.new_password === undefined) throw errors.missingParam('Missing new_password');
    if (body.new_password.length === 0) throw errors.invalidParam('Password must not be empty');
    limitPasswordAttempts(d, ctx, body.auth);
    const uia = await users.uia.check({ operation: 'password', userId: r.userId, flows: PASSWORD_FLOWS, auth: body.auth });
    await users.setPassword(r.userId, body.new_password, { logoutDevices: body.logout_devices ?? true, keepDeviceId: r.deviceId });
    await uia.finish();
    ctx.body = {};
  });

  router.post(`${CLIENT}/account/deactivate`, d.auth, async (ctx) => {
    const r = getRequester(ctx);
    const body = await jsonBody(ctx, deactivateBody);
    limitPasswordAttempts(d, ctx, body.auth);
    const uia = await users.uia.check({ operation: 'deactivate', userId: r.userId, flows: PASSWORD_FLOWS, auth: body.auth });
    await uia.finish();
    await users.deactivate(r.userId, { erase: body.erase ?? false });
    users.log.info({ userId: r.userId, erase: body.erase ?? false }, 'account deactivated by its owner');
    ctx.body = { id_server_unbind_result: 'success' };
  });

  router.get(`${CLIENT}/account/3pid`, d.auth, (ctx) => {
    ctx.body = { threepids: [] };
  });
}
