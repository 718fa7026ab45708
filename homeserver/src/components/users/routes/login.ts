import type Router from '@koa/router';
import { z } from 'zod';
import { errors, MatrixError } from '../../../http/errors.js';
import { jsonBody } from '../../../http/body.js';
import { authErrors } from '../../../http/auth.js';
import { identifierSchema, userOfIdentifier } from '../identifier.js';
import { MAX_PASSWORD_LENGTH } from '../passwords.js';
import { CLIENT, type RouteDeps } from './common.js';

const JWT_TYPES = new Set(['org.matrix.login.jwt', 'm.login.jwt']);

const loginBody = identifierSchema.and(
  z
    .object({
      type: z.string(),
      password: z.string().max(MAX_PASSWORD_LENGTH).optional(),
      token: z.string().max(16_384).optional(),
      device_id: z.string().min(1).max(255).optional(),
      initial_device_display_name: z.string().max(255).optional(),
      refresh_token: z.boolean().optional(),
    })
    .passthrough(),
);

const refreshBody = z.object({ refresh_token: z.string() });

const badLogin = (): MatrixError => errors.forbidden('Invalid username or password');

/**
 * GET  /_matrix/client/v3/login — the login types: password, and JWT when configured.
 * POST /_matrix/client/v3/login — a new device and access token.
 * POST /_matrix/client/v3/refresh — a new token pair for a refresh token.
 */
export function loginRoutes(router: Router, d: RouteDeps): void {
  const { users } = d;

  router.get(`${CLIENT}/login`, (ctx) => {
    ctx.body = { flows: [{ type: 'm.login.password' }, ...(d.jwt ? [{ type: 'org.matrix.login.jwt' }] : [])] };
  });

  router.post(`${CLIENT}/login`, async (ctx) => {
    d.limits.login.check(ctx.ip);
    const body = await jsonBody(ctx, loginBody);
    let userId: string;
    if (body.type === 'm.login.password') {
      if (body.password === undefined) throw errors.missingParam('Missing password');
      const claimed = userOfIdentifier(body, users.serverName);
      if (claimed === undefined) {
        if (!body.identifier && body.user === undefined) throw errors.missingParam('Missing identifier');
        throw badLogin();
      }
      const account = await users.checkPassword(claimed, body.password);
      if (!account) throw badLogin();
      if (account.deactivated) throw authErrors.userDeactivated();
      if (account.locked) throw authErrors.userLocked();
      userId = account.user_id;
    } else if (JWT_TYPES.has(body.type) && d.jwt) {
      if (body.token === undefined) throw errors.forbidden('Token field for JWT is missing');
      userId = await d.jwt.verify(body.token);
      const account = await users.getAccount(userId);
      if (account?.deactivated) throw authErrors.userDeactivated();
      if (account?.locked) throw authErrors.userLocked();
      // As Synapse does: the identity provider vouches for the user, so the account is made on first login.
      if (!account) {
        await users.createAccount({ userId, password: null }).catch((err: unknown) => {
          if (!(err instanceof MatrixError && err.errcode === 'M_USER_IN_USE')) throw err;
        });
        users.log.info({ userId }, 'account created on first JWT login');
      }
    } else {
      throw new MatrixError(400, 'M_UNKNOWN', 'Unknown login type');
    }
    ctx.body = await users.login(userId, { deviceId: body.device_id, displayName: body.initial_device_display_name, refresh: body.refresh_token ?? false });
  });

  router.post(`${CLIENT}/refresh`, async (ctx) => {
    const body = await jsonBody(ctx, refreshBody);
    ctx.body = await users.sessions.refresh(body.refresh_token);
  });
}
