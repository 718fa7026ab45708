import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Middleware } from 'koa';
import type { Logger } from '../../log/logger.js';
import { staticFiles } from './static-files.js';

/** Where `npm run build --workspace client` writes, seen from src/ and dist/ alike (same depth). */
export const DEFAULT_WEBCLIENT_DIR = fileURLToPath(new URL('../../../../client/dist/', import.meta.url));

export interface WebClientOptions {
  enabled: boolean;
  /** The built client; undefined means DEFAULT_WEBCLIENT_DIR. */
  dir: string | undefined;
  log: Logger;
}

/**
 * The web client, served at `/` from its production build. Not a router component: it answers
 * only what no route took, so it can never shadow an endpoint, and the spec test keeps seeing
 * exactly the API's routes. Undefined when turned off or not built (the server then behaves as if
 * it did not exist).
 */
export function createWebClient(options: WebClientOptions): Middleware | undefined {
  if (!options.enabled) return undefined;
  const dir = path.resolve(options.dir ?? DEFAULT_WEBCLIENT_DIR);
  if (!existsSync(path.join(dir, 'index.html'))) {
    options.log.info({ dir }, 'web client not served: no build found (npm run build --workspace client)');
    return undefined;
  }
  options.log.info({ dir }, 'serving the web client at /');
  return staticFiles(dir);
}
