import type Router from '@koa/router';
import { z } from 'zod';
import { errors, MatrixError } from '../../../http/errors.js';
import { jsonBody } from '../../../http/body.js';
import { authDictSchema } from '../uia.js';
import { newLocalpart, userIdFor, usernameErrors } from '../ids.js';
import { isTokenValid } from '../storage/registration-tokens.js';
import { MAX_PASSWORD_LENGTH } from '../passwords.js';
import { CLIENT, CLIENT_V1, queryParam, type RouteDeps } from './common.js';

const registerBody = z
  .object({
    auth: authDictSchema.optional(),
    username: z.string().max(1000).optional(),
    password: z.string().max(MAX_PASSWORD_LENGTH).optional(),
    device_id: z.string().min(1).max(255).optional(),
    initial_device_display_name: z.string().max(255).optional(),
    inhibit_login: z.boolean().optional(),
    refresh_token: z.boolean().optional(),
  })
  .passthrough();

/** Servers pick a localpart from what users type; spec lets us map it, so case is folded. */
function desiredUserId(username: string, serverName: string): string {
  return userIdFor(username.toLowerCase(), serverName);
}

/**
 * POST /_matrix/client/v3/register — accounts, through user-interactive auth:
 *   m.login.registration_token always, m.login.dummy when registration is open.
 * GET /_matrix/client/v3/register/available — is a username free?
 * GET /_matrix/client/v1/register/m.login.registration_token/validity — is a token usable?
 */
export function registerRoutes(router: Router, d: RouteDeps): void {
  const { users } = d;

  router.post(`${CLIENT}/register`, async (ctx) => {
    const kind = queryParam(ctx, 'kind') ?? 'user';
    if (kind === 'guest') throw new MatrixError(403, 'M_GUEST_ACCESS_FORBIDDEN', 'Guest access is not supported on this server');
    if (kind !== 'user') throw errors.invalidParam('kind must be "user" or "guest"');
    const body = await jsonBody(ctx, registerBody);
    // Each authentication attempt counts, not the first request that only asks for the flows.
    if (body.auth) d.limits.register.check(ctx.ip);

    // The spec asks for username problems before authentication.
    let userId: string | undefined;
    if (body.username !== undefined) userId = desiredUserId(body.username, users.serverName);
    // Where anyone may register (m.login.dummy), the password is hashed while the checks before it
    // run; a refused attempt wastes a hash, as a rate-limited attempt may. Where a registration
    // token is needed, nothing is hashed before the token is accepted.
    const open = users.settings.openRegistration && body.auth?.type === 'm.login.dummy';
    const hashing = open && body.password ? users.startHashing(body.password) : undefined;
    if (userId !== undefined && (await users.getAccount(userId))) throw usernameErrors.inUse();

    const flows = [['m.login.registration_token'], ...(users.settings.openRegistration ? [['m.login.dummy']] : [])];
    const uia = await users.uia.check({ operation: 'register', flows, auth: body.auth });

    if (body.password === undefined) throw errors.missingParam('Missing password');
    if (body.password.length === 0) throw errors.invalidParam('Password must not be empty');
    let created: { admin: boolean } | undefined;
    for (let attempt = 0; !created; attempt++) {
      const id = userId ?? `@${newLocalpart()}:${users.serverName}`;
      try {
        created = await users.createAccount({
          userId: id,
          password: body.password,
          hashing,
          registrationToken: uia.session.registration_token,
          also: uia.finishing(),
        });
        userId = id;
      } catch (err) {
        // A generated localpart that collides is tried again; a chosen one is the client's problem.
        if (userId !== undefined || attempt >= 4 || !(err instanceof MatrixError) || err.errcode !== 'M_USER_IN_USE') throw err;
      }
    }
    users.log.info({ userId, admin: created.admin }, 'account registered');
    if (body.inhibit_login) {
      ctx.body = { user_id: userId, home_server: users.serverName };
      return;
    }
    ctx.body = await users.login(userId!, { deviceId: body.device_id, displayName: body.initial_device_display_name, refresh: body.refresh_token ?? false });
  });

  router.get(`${CLIENT}/register/available`, async (ctx) => {
    d.limits.register.check(ctx.ip);
    const username = queryParam(ctx, 'username');
    if (username === undefined) throw errors.missingParam('Missing username');
    const userId = desiredUserId(username, users.serverName);
    if (await users.getAccount(userId)) throw usernameErrors.inUse();
    ctx.body = { available: true };
  });

  router.get(`${CLIENT_V1}/register/m.login.registration_token/validity`, async (ctx) => {
    d.limits.register.check(ctx.ip);
    const token = queryParam(ctx, 'token');
    if (token === undefined) throw errors.missingParam('Missing token');
    ctx.body = { valid: token.length > 0 && token.length <= 64 && (await isTokenValid(users.db, token, users.now())) };
  });
}
