import type { Context, Middleware } from 'koa';
import { readJsonObject } from '../../../http/body.js';
import { MatrixError } from '../../../http/errors.js';
import type { RequestAuthenticator } from './request-auth.js';

const ORIGIN = Symbol('federationOrigin');
const CONTENT = Symbol('federationContent');

interface FederationState {
  [ORIGIN]?: string;
  [CONTENT]?: Record<string, unknown>;
}

/**
 * Rejects requests without a valid X-Matrix signature (401 M_UNAUTHORIZED). PUT and POST bodies
 * are read here, since the signature covers them; handlers get them with `signedContent`.
 */
export function requireServerAuth(authenticator: RequestAuthenticator): Middleware {
  return async (ctx, next) => {
    const state = ctx.state as FederationState;
    let content: Record<string, unknown> | undefined;
    // The spec has every PUT and POST carry a JSON object; GET and DELETE carry none.
    if (ctx.method === 'PUT' || ctx.method === 'POST') content = await readJsonObject(ctx);
    state[ORIGIN] = await authenticator.authenticate({
      method: ctx.method,
      uri: ctx.originalUrl,
      authorization: ctx.get('authorization') || undefined,
      content,
    });
    state[CONTENT] = content;
    await next();
  };
}

/** The authenticated origin server; a route that forgot requireServerAuth fails loudly. */
export function getOrigin(ctx: Context): string {
  const origin = (ctx.state as FederationState)[ORIGIN];
  if (origin === undefined) throw new Error(`getOrigin: route ${String(ctx._matchedRoute)} has no requireServerAuth`);
  return origin;
}

/** The signed JSON body of a PUT or POST that passed requireServerAuth. */
export function signedContent(ctx: Context): Record<string, unknown> {
  const content = (ctx.state as FederationState)[CONTENT];
  if (content === undefined) throw new Error(`signedContent: route ${String(ctx._matchedRoute)} has no body or no requireServerAuth`);
  return content;
}

/** Decides whether a server may take part in a room; supplied by the room layer (see api.ts). */
export type ServerAclCheck = (roomId: string, serverName: string) => Promise<boolean>;

/**
 * For the endpoints the spec's "Server Access Control Lists" section protects: 403 M_FORBIDDEN
 * when the room's ACL denies the origin. `roomIdOf` picks the room from the request (a path
 * parameter, usually). Put it after requireServerAuth.
 */
export function requireServerAcl(check: () => ServerAclCheck | undefined, roomIdOf: (ctx: Context) => string | undefined): Middleware {
  return async (ctx, next) => {
    const acl = check();
    const roomId = roomIdOf(ctx);
    if (acl && roomId !== undefined && !(await acl(roomId, getOrigin(ctx)))) {
      throw new MatrixError(403, 'M_FORBIDDEN', 'Server is banned from this room by its server ACL');
    }
    await next();
  };
}
