import Koa from 'koa';
import Router from '@koa/router';
import type { Logger } from '../log/logger.js';
import type { HttpMetrics } from '../metrics/http.js';
import { cors, errorHandler, refuseNul, requestContext, unmatched } from './middleware.js';
import { indexedRoutes } from './route-index.js';

export interface AppOptions {
  log: Logger;
  metrics?: HttpMetrics | undefined;
  /** A number, or one per path (federation transactions may be far larger than client bodies). */
  maxJsonBodyBytes: number | ((path: string) => number);
  /** Each component adds its routes here. */
  mountRoutes(router: Router): void;
}

export function createApp(options: AppOptions): { app: Koa; router: Router } {
  const app = new Koa({ proxy: false });
  // Errors are rendered by errorHandler; Koa's own printer would log them a second time.
  app.silent = true;
  const router = new Router();
  options.mountRoutes(router);
  app.use(requestContext(options.log, options.metrics, options.maxJsonBodyBytes));
  app.use(cors());
  app.use(errorHandler(options.log));
  app.use(refuseNul());
  app.use(unmatched(router));
  app.use(indexedRoutes(router));
  return { app, router };
}
