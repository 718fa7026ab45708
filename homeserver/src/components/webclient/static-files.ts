import { createReadStream, existsSync, statSync, type Stats } from 'node:fs';
import path from 'node:path';
import type { Middleware } from 'koa';
import { GzipCache } from './compression.js';
import { contentTypeOf, isAssetPath } from './content-types.js';

/** Paths that belong to the APIs: a missing endpoint there must stay a Matrix 404, never the app. */
const API_PREFIXES = ['/_matrix', '/_synapse', '/.well-known'];

/**
 * The page may talk to any homeserver (the login screen takes a URL), and loads avatars and media
 * from it; scripts only from us. 'wasm-unsafe-eval' lets the E2EE WebAssembly module compile.
 */
const CSP = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob: http: https:",
  "media-src 'self' blob: http: https:",
  "connect-src 'self' http: https: ws: wss:",
  "object-src 'none'",
  "base-uri 'self'",
  "frame-ancestors 'none'",
].join('; ');

export function isApiPath(urlPath: string): boolean {
  return API_PREFIXES.some((p) => urlPath === p || urlPath.startsWith(`${p}/`));
}

/** Resolves a URL path inside `root`, or undefined when it would escape it or is not a file. */
function fileFor(root: string, urlPath: string): { file: string; stats: Stats } | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  const file = path.resolve(root, `.${path.posix.normalize(decoded)}`);
  if (file !== root && !file.startsWith(`${root}${path.sep}`)) return undefined;
  try {
    const stats = statSync(file);
    return stats.isFile() ? { file, stats } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Vite names everything under assets/ after its content hash, so those never change and may be
 * cached for a year; anything else (index.html above all) must be revalidated so a new release
 * is picked up on the next load.
 */
function cacheControl(urlPath: string): string {
  return urlPath.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache';
}

/**
 * Serves the built single-page app from `root`: its files by path, and index.html for any other
 * GET outside the API prefixes so client-side routes survive a reload. Requests it does not take
 * fall through untouched (the `unmatched` middleware then answers them as Matrix errors).
 */
export function staticFiles(root: string): Middleware {
  const absRoot = path.resolve(root);
  const index = path.join(absRoot, 'index.html');
  const gzipped = new GzipCache();
  return async (ctx, next) => {
    await next();
    if (ctx.body !== undefined || ctx.status !== 404) return;
    if ((ctx.method !== 'GET' && ctx.method !== 'HEAD') || isApiPath(ctx.path)) return;
    let found = fileFor(absRoot, ctx.path);
    let cache = cacheControl(ctx.path);
    // A missing script or image must not be answered with HTML; anything else may be a client
    // route (room IDs contain dots: /room/!abc:example.org).
    if (!found && !isAssetPath(ctx.path) && existsSync(index)) {
      found = { file: index, stats: statSync(index) };
      cache = 'no-cache';
    }
    if (!found) return;
    const etag = `W/"${found.stats.size.toString(16)}-${Math.floor(found.stats.mtimeMs).toString(16)}"`;
    ctx.set('Cache-Control', cache);
    ctx.set('ETag', etag);
    ctx.set('X-Content-Type-Options', 'nosniff');
    if (found.file.endsWith('.html')) {
      ctx.set('Content-Security-Policy', CSP);
      ctx.set('Referrer-Policy', 'no-referrer');
    }
    ctx.type = contentTypeOf(found.file);
    if (ctx.get('If-None-Match') === etag) {
      ctx.status = 304;
      return;
    }
    ctx.status = 200;
    ctx.vary('Accept-Encoding');
    // Tiny files grow when gzipped; below a kilobyte they go as they are.
    if (found.stats.size > 1024 && GzipCache.compressible(String(ctx.type)) && ctx.acceptsEncodings('gzip', 'identity') === 'gzip') {
      const gz = await gzipped.get(found.file, found.stats.mtimeMs);
      ctx.set('Content-Encoding', 'gzip');
      if (ctx.method !== 'HEAD') ctx.body = gz;
      ctx.length = gz.length;
      return;
    }
    // HEAD gets the headers only; Koa sends no body for it, so no file is opened.
    if (ctx.method !== 'HEAD') ctx.body = createReadStream(found.file);
    ctx.length = found.stats.size;
  };
}
