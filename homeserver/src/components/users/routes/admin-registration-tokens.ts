import { randomInt } from 'node:crypto';
import type Router from '@koa/router';
import { z } from 'zod';
import { errors } from '../../../http/errors.js';
import { jsonBody } from '../../../http/body.js';
import * as store from '../storage/registration-tokens.js';
import { ADMIN_V1, parseBoolParam, type RouteDeps } from './common.js';

const TOKEN_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._~-';
const TOKEN = /^[A-Za-z0-9._~-]{1,64}$/;

const uses = z.number().int().min(0).max(2_147_483_647).nullable();
const expiry = z.number().int().min(0).nullable();
const createBody = z.object({ token: z.string().optional(), uses_allowed: uses.optional(), expiry_time: expiry.optional(), length: z.number().int().min(1).max(64).optional() }).passthrough();
const updateBody = z.object({ uses_allowed: uses.optional(), expiry_time: expiry.optional() }).passthrough();

function view(t: store.RegistrationTokenRow): Record<string, unknown> {
  return { token: t.token, uses_allowed: t.uses_allowed, pending: t.pending, completed: t.completed, expiry_time: t.expiry_time };
}

/**
 * GET    /_synapse/admin/v1/registration_tokens[?valid=true|false]
 * POST   /_synapse/admin/v1/registration_tokens/new
 * GET    /_synapse/admin/v1/registration_tokens/{token}
 * PUT    /_synapse/admin/v1/registration_tokens/{token}
 * DELETE /_synapse/admin/v1/registration_tokens/{token}
 * The first-run admin token is not listed: it is not the admins' to manage.
 */
export function adminRegistrationTokenRoutes(router: Router, d: RouteDeps): void {
  const { users } = d;
  const base = `${ADMIN_V1}/registration_tokens`;

  const find = async (token: string): Promise<store.RegistrationTokenRow> => {
    const t = await store.getToken(users.db, token);
    if (!t || t.grants_admin) throw errors.notFound(`No such registration token: ${token}`);
    return t;
  };

  router.get(base, d.admin, async (ctx) => {
    ctx.body = { registration_tokens: (await store.listTokens(users.db, parseBoolParam(ctx, 'valid'), users.now())).map(view) };
  });

  router.post(`${base}/new`, d.admin, async (ctx) => {
    const b = await jsonBody(ctx, createBody);
    if (b.expiry_time != null && b.expiry_time < users.now()) throw errors.invalidParam('expiry_time must not be in the past');
    if (b.token !== undefined && !TOKEN.test(b.token)) throw errors.invalidParam('token must be 1 to 64 characters of A-Z, a-z, 0-9, ".", "_", "~" and "-"');
    for (let attempt = 0; ; attempt++) {
      const token = b.token ?? Array.from({ length: b.length ?? 16 }, () => TOKEN_CHARS[randomInt(TOKEN_CHARS.length)]).join('');
      const row = { token, uses_allowed: b.uses_allowed ?? null, expiry_time: b.expiry_time ?? null, grants_admin: false };
      if (await store.insertToken(users.db, row)) {
        ctx.body = view({ ...row, pending: 0, completed: 0 });
        return;
      }
      // A chosen token that exists is refused; a random one that collides (short lengths) is redrawn.
      if (b.token !== undefined || attempt >= 10) throw errors.invalidParam(`Token already exists: ${token}`);
    }
  });

  router.get(`${base}/:token`, d.admin, async (ctx) => {
    ctx.body = view(await find(ctx.params.token!));
  });

  router.put(`${base}/:token`, d.admin, async (ctx) => {
    const b = await jsonBody(ctx, updateBody);
    const t = await find(ctx.params.token!);
    const patch: { uses_allowed?: number | null; expiry_time?: number | null } = {};
    if (b.uses_allowed !== undefined) patch.uses_allowed = b.uses_allowed;
    if (b.expiry_time !== undefined) {
      if (b.expiry_time !== null && b.expiry_time < users.now()) throw errors.invalidParam('expiry_time must not be in the past');
      patch.expiry_time = b.expiry_time;
    }
    ctx.body = view((await store.updateToken(users.db, t.token, patch))!);
  });

  router.delete(`${base}/:token`, d.admin, async (ctx) => {
    const t = await find(ctx.params.token!);
    await store.deleteToken(users.db, t.token);
    ctx.body = {};
  });
}
