import type http from 'node:http';
import type { Duplex } from 'node:stream';
import type Router from '@koa/router';
import type { FastRoutes } from '../http/fast-routes.js';

/**
 * What the composition root knows of a component: its routes, and what to do at start and stop
 * (its schema steps are listed in db/schema.ts). Everything else a component offers other components goes through its api.ts.
 */
export interface Component {
  readonly name: string;
  routes?(router: Router): void;
  /** Hot GET routes of the client listener answered past koa (http/fast-routes.ts); each is also in `routes`. */
  fastRoutes?(routes: FastRoutes): void;
  /** Routes of the federation listener (`/_matrix/federation/*`, `/_matrix/key/*`), apart from the client API. */
  federationRoutes?(router: Router): void;
  /** Takes an HTTP upgrade (WebSocket) it serves and returns true; false leaves it to others. */
  upgrade?(req: http.IncomingMessage, socket: Duplex, head: Buffer): boolean;
  start?(): Promise<void>;
  /**
   * Called when shutdown begins, before in-flight requests are awaited: end long-running work
   * (long-polls, WebSockets) so those requests finish now instead of at their timeout.
   */
  beforeStop?(): void;
  /** Called after the listener stopped accepting and in-flight requests finished. */
  stop?(): Promise<void>;
}
