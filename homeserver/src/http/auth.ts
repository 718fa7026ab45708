import type { Context, Middleware } from 'koa';
import { MatrixError } from './errors.js';
import { queryString } from './params.js';

/** Who made an authenticated request. */
export interface Requester {
  userId: string;
  deviceId: string;
  isAdmin: boolean;
}

export interface ClientInfo {
  ip: string;
  userAgent: string | undefined;
}

/**
 * Resolves an access token to its requester, or throws the Matrix error the client should see
 * (401 M_UNKNOWN_TOKEN, with `soft_logout` for expired tokens). The users component provides it.
 */
export type Authenticate = (accessToken: string, client: ClientInfo) => Promise<Requester>;

export const authErrors = {
  missingToken: () => new MatrixError(401, 'M_MISSING_TOKEN', 'Missing access token'),
  unknownToken: (softLogout = false) =>
    new MatrixError(401, 'M_UNKNOWN_TOKEN', softLogout ? 'Access token has expired' : 'Unrecognised access token', { soft_logout: softLogout }),
  userDeactivated: () => new MatrixError(403, 'M_USER_DEACTIVATED', 'This account has been deactivated'),
  userLocked: () => new MatrixError(401, 'M_USER_LOCKED', 'This account has been locked', { soft_logout: true }),
  notAdmin: () => new MatrixError(403, 'M_FORBIDDEN', 'You are not a server admin'),
};

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/**
 * The access token of a request: `Authorization: Bearer …`, or the `access_token` query parameter
 * that older clients and tools still send. Undefined when neither is there.
 */
export function accessTokenOf(ctx: Context): string | undefined {
  return accessTokenFrom(ctx.get('authorization'), queryString(ctx, 'access_token'));
}

/** accessTokenOf, from the `Authorization` header and the `access_token` query parameter. */
export function accessTokenFrom(header: string | undefined, queryToken: string | undefined): string | undefined {
  if (header) return BEARER.exec(header)?.[1];
  return queryToken || undefined;
}

export function clientInfoOf(ctx: Context): ClientInfo {
  return { ip: ctx.ip, userAgent: ctx.get('user-agent') || undefined };
}

const REQUESTER = Symbol('requester');

/** Rejects requests without a valid access token; the handler reads who asked with getRequester. */
export function requireAuth(authenticate: Authenticate): Middleware {
  return async (ctx, next) => {
    const token = accessTokenOf(ctx);
    if (!token) throw authErrors.missingToken();
    (ctx.state as Record<symbol, Requester>)[REQUESTER] = await authenticate(token, clientInfoOf(ctx));
    await next();
  };
}

/** The requester put there by requireAuth; a route that forgot requireAuth fails loudly. */
export function getRequester(ctx: Context): Requester {
  const r = (ctx.state as Record<symbol, Requester | undefined>)[REQUESTER];
  if (!r) throw new Error(`getRequester: route ${String(ctx._matchedRoute)} has no requireAuth`);
  return r;
}

/** The requester when the request carried a valid token; undefined when it carried none. */
export async function optionalRequester(ctx: Context, authenticate: Authenticate): Promise<Requester | undefined> {
  const token = accessTokenOf(ctx);
  if (!token) return undefined;
  const r = await authenticate(token, clientInfoOf(ctx));
  (ctx.state as Record<symbol, Requester>)[REQUESTER] = r;
  return r;
}

/** For /_synapse/admin endpoints: a valid token of a server admin, else 401/403. */
export function requireAdmin(authenticate: Authenticate): Middleware {
  const auth = requireAuth(authenticate);
  return (ctx, next) =>
    auth(ctx, async () => {
      if (!getRequester(ctx).isAdmin) throw authErrors.notAdmin();
      await next();
    });
}
