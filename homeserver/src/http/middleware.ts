import { randomBytes } from 'node:crypto';
import type { Middleware } from 'koa';
import type Router from '@koa/router';
import type { Logger } from '../log/logger.js';
import type { HttpMetrics } from '../metrics/http.js';
import { errors, MatrixError } from './errors.js';

export interface RequestState {
  requestId: string;
  maxJsonBodyBytes: number;
}

/**
 * Request IDs only tie log lines together: a per-process random prefix and a counter make them
 * unique without asking the system for random bytes on every request.
 */
const requestIdPrefix = randomBytes(4).toString('base64url');
let requestCounter = 0;

export function nextRequestId(): string {
  return `${requestIdPrefix}${(++requestCounter).toString(36)}`;
}

/** Measures an answered request, and logs it at info. */
export function observeRequest(log: Logger, metrics: HttpMetrics | undefined, r: { reqId: string; method: string; route: string; path: string; status: number; ms: number }): void {
  metrics?.observe(r.method, r.route, r.status, r.ms / 1000);
  // Request logs are info: at the usual warn level, the line is not even put together.
  if (log.isLevelEnabled('info')) {
    // The path without its query: access tokens may travel in `?access_token=`.
    log.info({ reqId: r.reqId, method: r.method, route: r.route, path: r.path, status: r.status, durationMs: Math.round(r.ms * 10) / 10 }, 'request');
  }
}

/** Gives each request an ID, then logs and measures it once it is answered. */
export function requestContext(log: Logger, metrics: HttpMetrics | undefined, maxJsonBodyBytes: number | ((path: string) => number)): Middleware {
  return async (ctx, next) => {
    const started = performance.now();
    const state = ctx.state as RequestState;
    state.requestId = nextRequestId();
    state.maxJsonBodyBytes = typeof maxJsonBodyBytes === 'number' ? maxJsonBodyBytes : maxJsonBodyBytes(ctx.path);
    try {
      await next();
    } finally {
      const route = typeof ctx._matchedRoute === 'string' ? ctx._matchedRoute : 'unmatched';
      observeRequest(log, metrics, { reqId: state.requestId, method: ctx.method, route, path: ctx.path, status: ctx.status, ms: performance.now() - started });
    }
  };
}

/** The spec's recommended CORS headers, on every response. */
export const CORS_HEADERS: Readonly<Record<string, string>> = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'GET, POST, PUT, DELETE, OPTIONS',
  'Access-Control-Allow-Headers': 'X-Requested-With, Content-Type, Authorization',
};

/** The spec's recommended CORS headers on every response; OPTIONS is answered without running any endpoint logic. */
export function cors(): Middleware {
  return async (ctx, next) => {
    for (const name in CORS_HEADERS) ctx.set(name, CORS_HEADERS[name]!);
    if (ctx.method === 'OPTIONS') {
      ctx.status = 204;
      return;
    }
    await next();
  };
}

/**
 * Refuses NUL characters in the path and query: no identifier or token may hold one, and
 * PostgreSQL text cannot store them, so they would otherwise surface as 500s deep inside.
 */
export function refuseNul(): Middleware {
  return async (ctx, next) => {
    checkNoNul(ctx.path, ctx.querystring);
    await next();
  };
}

export function checkNoNul(rawPath: string, querystring: string): void {
  // Node's HTTP parser refuses a raw NUL in the request line, so one can only come as %00, and
  // only a path with a `%` needs decoding at all.
  let path = rawPath;
  if (rawPath.includes('%')) {
    try {
      path = decodeURIComponent(rawPath);
    } catch {
      throw errors.invalidParam('The request path is not valid percent-encoding');
    }
  }
  if (path.includes('\u0000') || querystring.includes('%00')) {
    throw errors.invalidParam('NUL characters are not allowed in the path or query');
  }
}

/** The error a client sees for a failure: unexpected ones are logged and become 500 M_UNKNOWN. */
export function asMatrixError(err: unknown, log: Logger, reqId: string, route: unknown): MatrixError {
  if (err instanceof MatrixError) return err;
  log.error({ err, reqId, route }, 'request failed');
  return errors.unknown();
}

/** Renders every failure as Matrix error JSON; unexpected ones are logged and become 500 M_UNKNOWN. */
export function errorHandler(log: Logger): Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      const e = asMatrixError(err, log, (ctx.state as RequestState).requestId, ctx._matchedRoute);
      ctx.status = e.status;
      for (const [k, v] of Object.entries(e.headers)) ctx.set(k, v);
      ctx.body = e.toJSON();
    }
  };
}

/**
 * After the router: a path no route knows is 404 M_UNRECOGNIZED; a known path asked with another
 * method is 405 M_UNRECOGNIZED, as the spec asks, with `Allow` listing what would work.
 */
export function unmatched(router: Router): Middleware {
  return async (ctx, next) => {
    await next();
    if (ctx.body !== undefined || ctx.status !== 404) return;
    const match = router.match(ctx.path, ctx.method);
    const methods = new Set(match.path.flatMap((layer) => layer.methods));
    if (match.route || methods.size === 0) throw errors.unrecognized();
    ctx.set('Allow', [...methods, 'OPTIONS'].join(', '));
    throw errors.methodNotAllowed();
  };
}
