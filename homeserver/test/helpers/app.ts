import { Writable } from 'node:stream';
import type Router from '@koa/router';
import type { ExecutionContext } from 'ava';
import { createApp } from '../../src/http/app.js';
import { listen, type Listener } from '../../src/http/listener.js';
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
  options: { maxJsonBodyBytes?: number; metrics?: HttpMetrics } = {},
): Promise<{ url: string; listener: Listener; log: ReturnType<typeof captureLog> }> {
  const log = captureLog();
  const { app } = createApp({
    log: createLogger('info', log.stream),
    metrics: options.metrics,
    maxJsonBodyBytes: options.maxJsonBodyBytes ?? 1024,
    mountRoutes,
  });
  const listener = await listen(app, '127.0.0.1', 0);
  t.teardown(() => listener.close(0));
  return { url: `http://127.0.0.1:${listener.port}`, listener, log };
}
