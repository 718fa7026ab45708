/**
 * Delay before the next attempt after `failures` consecutive failures: doubling from `initialMs`
 * up to `maxMs`, spread by ±10% so that destinations which failed together do not retry together.
 */
export function backoffDelay(failures: number, retry: { initialMs: number; maxMs: number }, random: () => number = Math.random): number {
  const exponent = Math.min(Math.max(failures - 1, 0), 40);
  const base = Math.min(retry.initialMs * 2 ** exponent, retry.maxMs);
  return Math.round(base * (0.9 + 0.2 * random()));
}
