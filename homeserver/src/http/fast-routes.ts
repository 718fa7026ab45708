import type http from 'node:http';
import type { Logger } from '../log/logger.js';
import type { HttpMetrics } from '../metrics/http.js';
import { accessTokenFrom, authErrors, type Authenticate, type Requester } from './auth.js';
import { asMatrixError, checkNoNul, CORS_HEADERS, nextRequestId, observeRequest } from './middleware.js';
import { parseQuery } from './params.js';

/** Answers an authenticated GET: the JSON body, already encoded. */
export type FastHandler = (req: http.IncomingMessage, query: Map<string, string>, requester: Requester) => Promise<Buffer>;

const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * Authenticated GETs answered straight from Node's request, past koa: the long-poll /sync, which
 * every client sends again after each answer. Koa's context, its middleware chain and its
 * response handling cost 20-33 µs a request here (a trivial route on both, measured with the
 * bench's clients), a sixth of what a long-poll answer costs in all. Everything the koa stack does
 * for such a request is done here the same way: the request ID, metrics and the request log, the
 * CORS headers, refusing NUL, the access token (header or `access_token`), Matrix error JSON.
 * A route here is also in the router, which answers its HEAD, OPTIONS and other spellings.
 */
export class FastRoutes {
  private readonly routes = new Map<string, FastHandler>();

  constructor(private readonly o: { log: Logger; metrics: HttpMetrics | undefined; authenticate: Authenticate }) {}

  /** `path` exactly as clients write it: other spellings (a trailing slash, capitals) go to koa. */
  get(path: string, handler: FastHandler): void {
    this.routes.set(path, handler);
  }

  /** Takes a request for one of its routes and answers it; false leaves it to koa. */
  serve(req: http.IncomingMessage, res: http.ServerResponse): boolean {
    if (req.method !== 'GET' || this.routes.size === 0) return false;
    const url = req.url ?? '';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const handler = this.routes.get(path);
    if (!handler) return false;
    void this.answer(handler, path, q < 0 ? '' : url.slice(q + 1), req, res);
    return true;
  }

  private async answer(handler: FastHandler, path: string, querystring: string, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const started = performance.now();
    const reqId = nextRequestId();
    let status = 200;
    let body: Buffer;
    let headers: Record<string, string> = {};
    try {
      checkNoNul(path, querystring);
      const query = parseQuery(querystring);
      const token = accessTokenFrom(req.headers.authorization, query.get('access_token'));
      if (!token) throw authErrors.missingToken();
      const requester = await this.o.authenticate(token, { ip: req.socket.remoteAddress ?? '', userAgent: req.headers['user-agent'] || undefined });
      body = await handler(req, query, requester);
    } catch (err) {
      const e = asMatrixError(err, this.o.log, reqId, path);
      status = e.status;
      headers = e.headers;
      body = Buffer.from(JSON.stringify(e.toJSON()));
    }
    res.writeHead(status, { ...CORS_HEADERS, ...headers, 'Content-Type': JSON_TYPE, 'Content-Length': String(body.length) });
    res.end(body);
    observeRequest(this.o.log, this.o.metrics, { reqId, method: 'GET', route: path, path, status, ms: performance.now() - started });
  }
}
