import type Router from '@koa/router';
import { SERVER_SOFTWARE } from '../version.js';

/** GET /_matrix/federation/v1/version — the implementation's name and version; no authentication. */
export function versionRoutes(router: Router): void {
  router.get('/_matrix/federation/v1/version', (ctx) => {
    ctx.body = { server: SERVER_SOFTWARE };
  });
}
