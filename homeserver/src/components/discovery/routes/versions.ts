import type Router from '@koa/router';

/** The spec versions whose endpoints clients may rely on (v1.1 up to the one we target). */
export const SPEC_VERSIONS = Array.from({ length: 16 }, (_, i) => `v1.${i + 1}`);

/** GET /_matrix/client/versions — no authentication; clients call it before anything else. */
export function versionsRoutes(router: Router): void {
  router.get('/_matrix/client/versions', (ctx) => {
    ctx.body = { versions: SPEC_VERSIONS, unstable_features: {} };
  });
}
