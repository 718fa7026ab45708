import type { Context, Middleware } from 'koa';
import type { RateLimiter } from '../../../http/rate-limit.js';
import type { Requester } from '../../../http/auth.js';
import { errors, MatrixError } from '../../../http/errors.js';
import type { UsersService } from '../service.js';
import type { JwtLogin } from '../jwt.js';

export const CLIENT = '/_matrix/client/v3';
export const CLIENT_V1 = '/_matrix/client/v1';
export const ADMIN_V1 = '/_synapse/admin/v1';
export const ADMIN_V2 = '/_synapse/admin/v2';

/** What every route file of the users component is given. */
export interface RouteDeps {
  users: UsersService;
  /** requireAuth bound to our authenticate. */
  auth: Middleware;
  /** requireAdmin bound to our authenticate. */
  admin: Middleware;
  limits: { register: RateLimiter; login: RateLimiter };
  jwt: JwtLogin | undefined;
}

/** 403 unless the requester is `userId` (account data, filters, profiles are the owner's alone). */
export function requireSelf(requester: Requester, userId: string, what: string): void {
  if (requester.userId !== userId) throw errors.forbidden(`Cannot ${what} for other users.`);
}

/** Password attempts inside user-interactive auth count against the login limit, as /login's do. */
export function limitPasswordAttempts(d: RouteDeps, ctx: Context, auth: { type?: string | undefined } | undefined): void {
  if (auth?.type === 'm.login.password') d.limits.login.check(ctx.ip);
}

/** One query parameter as a string; repeated parameters take the first. */
export function queryParam(ctx: Context, name: string): string | undefined {
  const v = ctx.query[name];
  return Array.isArray(v) ? v[0] : v;
}

export function parseBoolParam(ctx: Context, name: string): boolean | undefined {
  const v = queryParam(ctx, name);
  if (v === undefined) return undefined;
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw errors.invalidParam(`${name} must be true or false`);
}

export function parseIntParam(ctx: Context, name: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const v = queryParam(ctx, name);
  if (v === undefined) return undefined;
  if (!/^\d{1,15}$/.test(v) || Number(v) < min || Number(v) > max) throw errors.invalidParam(`${name} must be a whole number from ${min}`);
  return Number(v);
}

export const userErrors = {
  userNotFound: () => errors.notFound('User not found'),
  notLocal: () => new MatrixError(400, 'M_INVALID_PARAM', 'Only local users can be managed here'),
};
