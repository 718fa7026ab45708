import type Router from '@koa/router';

/** GET /.well-known/matrix/client — tells clients which base URL serves this server's users. */
export function wellKnownRoutes(router: Router, publicBaseUrl: string): void {
  const baseUrl = publicBaseUrl.replace(/\/$/, '');
  router.get('/.well-known/matrix/client', (ctx) => {
    ctx.body = { 'm.homeserver': { base_url: baseUrl } };
  });
}
