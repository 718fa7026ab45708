import { percentile, round } from './client.js';

export interface Summary {
  runs: number;
  p50: number;
  p99: number;
  max: number;
}

/** p50/p99/max of durations in ms (p99 of few runs is their maximum, and says so by `runs`). */
export function summarize(ms: readonly number[]): Summary {
  const s = [...ms].sort((a, b) => a - b);
  return { runs: s.length, p50: round(percentile(s, 50)), p99: round(percentile(s, 99)), max: round(s[s.length - 1] ?? NaN) };
}

export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await fn();
  return { ms: performance.now() - start, value };
}
