import { logger } from 'matrix-js-sdk/lib/logger.js';

/**
 * Makes matrix-js-sdk fit a test worker: its logs (and the Rust crypto's) stay quiet unless
 * HS_TEST_LOG_LEVEL asks for them, and its long request-abort timers (up to 110 s, never
 * cleared) no longer keep the worker alive after the tests finished.
 */
export function quietJsSdk(): void {
  logger.setLevel('silent');
  if (!process.env.HS_TEST_LOG_LEVEL) {
    for (const level of ['debug', 'info', 'log', 'warn'] as const) console[level] = () => undefined;
  }
  const plainSetTimeout = globalThis.setTimeout;
  globalThis.setTimeout = Object.assign((fn: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) => {
    const timer = plainSetTimeout(fn, ms, ...args);
    if ((ms ?? 0) >= 60_000) timer.unref();
    return timer;
  }, plainSetTimeout) as typeof setTimeout;
}
