import { logger } from 'matrix-js-sdk/lib/logger.js';

/**
 * Makes matrix-js-sdk fit a test worker: its logs (and the Rust crypto's) stay quiet unless
 * HS_TEST_LOG_LEVEL asks for them, and its long request-abort timers (up to 110 s, never
 * cleared) no longer keep the worker alive after the tests finished.
 */
export function quietJsSdk(o: { errors?: boolean } = {}): void {
  logger.setLevel('silent');
  if (!process.env.HS_TEST_LOG_LEVEL) {
    // `errors`: also console.error, where the module loggers (MatrixRTC's, among others) keep their
    // own level and log errors that are no failure, and the tests report by other channels.
    const levels = ['debug', 'info', 'log', 'warn', ...(o.errors ? (['error'] as const) : [])] as const;
    for (const level of levels) console[level] = () => undefined;
  }
  const plainSetTimeout = globalThis.setTimeout;
  globalThis.setTimeout = Object.assign((fn: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) => {
    const timer = plainSetTimeout(fn, ms, ...args);
    if ((ms ?? 0) >= 60_000) timer.unref();
    return timer;
  }, plainSetTimeout) as typeof setTimeout;
}
