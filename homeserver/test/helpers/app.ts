import { Writable } from 'node:stream';
import type Router from '@koa/router';
import type { ExecutionContext } from 'ava';
import { createApp } from '../../src/http/app.js';
import { listen, type Listener } from '../../src/http/listener.js';
import type { Authenticate } from '../../src/http/auth.js';
import { FastRoutes } from '../../src/http/fast-routes.js';
import { createLogger } from '../../src/log/logger.js';
import type { HttpMetrics } from '../../src/metrics/http.js';

/** Collects pino's JSON lines so tests can read what was logged. */
export function captureLog(): { lines: () => Array<Record<string, unknown>>; stream: Writable } {
  const out: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      out.push(chunk.toString('utf8'));
      cb();
    },
  });
  return {
    stream,
    lines: () => out.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

/**
 * The real HTTP stack (middleware, error rendering, listener) around routes a test defines, for
 * behaviour of the stack itself that no endpoint of the foundation exercises on its own.
 */
export async function startStack(
  t: ExecutionContext,
  mountRoutes: (router: Router) => void,
  options: { maxJsonBodyBytes?: number; metrics?: HttpMetrics; fast?: { authenticate: Authenticate; mount: (routes: FastRoutes) => void } } = {},
): Promise<{ url: string; listener: Listener; log: ReturnType<typeof captureLog> }> {
  const log = captureLog();
  const logger = createLogger('info', log.stream);
  const { app } = createApp({
    log: logger,
    metrics: options.metrics,
    maxJsonBodyBytes: options.maxJsonBodyBytes ?? 1024,
    mountRoutes,
  });
  let fast: FastRoutes | undefined;
  if (options.fast) {
    fast = new FastRoutes({ log: logger, metrics: options.metrics, authenticate: options.fast.authenticate });
    options.fast.mount(fast);
  }
  const listener = await listen(app, '127.0.0.1', 0, undefined, fast);
  t.teardown(() => listener.close(0));
  return { url: `http://127.0.0.1:${listener.port}`, listener, log };
}
