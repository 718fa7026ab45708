import type { Router, RouterMiddleware } from '@koa/router';
import type { KeyDocumentCache } from '../key-document.js';

/**
 * GET /_matrix/key/v2/server — this server's published signing keys, self-signed.
 * GET /_matrix/key/v2/server/{keyId} — the deprecated per-key form; the answer is the same.
 */
export function keyServerRoutes(router: Router, keys: KeyDocumentCache): void {
  const handler: RouterMiddleware = (ctx) => {
    ctx.body = keys.current();
  };
  router.get('/_matrix/key/v2/server', handler);
  router.get('/_matrix/key/v2/server/:keyId', handler);
}
