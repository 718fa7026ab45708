import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type Router from '@koa/router';
import { z } from 'zod';
import { errors, MatrixError } from '../../../http/errors.js';
import { jsonBody } from '../../../http/body.js';
import { userIdFor } from '../ids.js';
import { ADMIN_V1, type RouteDeps } from './common.js';

const NONCE_LIFETIME_MS = 60_000;
const MAX_NONCES = 1000;

const body = z
  .object({
    nonce: z.string(),
    username: z.string().min(1).max(512),
    password: z.string().min(1).max(512),
    admin: z.boolean().optional(),
    displayname: z.string().max(256).optional(),
    user_type: z.enum(['bot', 'support']).nullable().optional(),
    mac: z.string(),
    inhibit_login: z.boolean().optional(),
    refresh_token: z.boolean().optional(),
  })
  .passthrough();

/**
 * The HMAC-SHA1 that Synapse's register_new_matrix_user sends, keyed with the shared secret:
 * nonce, username, password and "admin"/"notadmin" (and the user type, when given), NUL-separated.
 */
export function registrationMac(secret: string, f: { nonce: string; username: string; password: string; admin: boolean; userType?: string | null | undefined }): string {
  const mac = createHmac('sha1', Buffer.from(secret, 'utf8'));
  mac.update(f.nonce, 'utf8').update('\0').update(f.username, 'utf8').update('\0').update(f.password, 'utf8').update('\0').update(f.admin ? 'admin' : 'notadmin');
  if (f.userType) mac.update('\0').update(f.userType, 'utf8');
  return mac.digest('hex');
}

/**
 * GET  /_synapse/admin/v1/register — a single-use nonce, valid for a minute.
 * POST /_synapse/admin/v1/register — creates a user when the MAC proves knowledge of the shared secret.
 * Both answer 400 while registration.shared_secret is unset.
 */
export function sharedSecretRoutes(router: Router, d: RouteDeps): void {
  const { users } = d;
  const nonces = new Map<string, number>();
  const secret = users.settings.sharedSecret;
  const disabled = (): MatrixError => new MatrixError(400, 'M_UNKNOWN', 'Shared secret registration is not enabled');

  const sweep = (now: number): void => {
    for (const [n, at] of nonces) if (now - at > NONCE_LIFETIME_MS || nonces.size > MAX_NONCES) nonces.delete(n);
  };

  router.get(`${ADMIN_V1}/register`, (ctx) => {
    if (!secret) throw disabled();
    const now = users.now();
    sweep(now);
    const nonce = randomBytes(32).toString('hex');
    nonces.set(nonce, now);
    ctx.body = { nonce };
  });

  router.post(`${ADMIN_V1}/register`, async (ctx) => {
    if (!secret) throw disabled();
    const b = await jsonBody(ctx, body);
    const now = users.now();
    sweep(now);
    // Single use, even when what follows fails.
    const issued = nonces.get(b.nonce);
    nonces.delete(b.nonce);
    if (issued === undefined) throw new MatrixError(400, 'M_UNKNOWN', 'Unrecognised nonce');

    const want = Buffer.from(registrationMac(secret, { nonce: b.nonce, username: b.username, password: b.password, admin: b.admin ?? false, userType: b.user_type }), 'utf8');
    const got = Buffer.from(b.mac.toLowerCase(), 'utf8');
    if (got.length !== want.length || !timingSafeEqual(got, want)) throw errors.forbidden('HMAC incorrect');

    const userId = userIdFor(b.username.toLowerCase(), users.serverName);
    await users.createAccount({ userId, password: b.password, admin: b.admin ?? false, displayname: b.displayname ?? null, userType: b.user_type ?? null });
    users.log.info({ userId, admin: b.admin ?? false }, 'account registered with the shared secret');
    if (b.inhibit_login) {
      ctx.body = { user_id: userId, home_server: users.serverName };
      return;
    }
    ctx.body = await users.login(userId, { refresh: b.refresh_token ?? false });
  });
}
