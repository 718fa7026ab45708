import type Router from '@koa/router';
import { errors } from '../../../http/errors.js';

/**
 * GET /.well-known/matrix/server — on the client listener, which answers for the bare server name
 * on port 443 behind a reverse proxy: where other servers find our federation listener
 * (`federation.public_server`). 404 when not configured, so they fall back to SRV and port 8448.
 */
export function wellKnownServerRoutes(router: Router, publicServer: string | undefined): void {
  router.get('/.well-known/matrix/server', (ctx) => {
    if (publicServer === undefined) throw errors.notFound('No federation delegation is configured');
    ctx.body = { 'm.server': publicServer };
  });
}
