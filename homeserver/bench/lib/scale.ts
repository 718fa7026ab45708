/** Sizes scale with BENCH_SCALE (default 1) so a scenario can be tried small first. */
export function scaled(n: number, min = 1): number {
  const scale = Number(process.env.BENCH_SCALE ?? '1');
  if (!(scale > 0)) throw new Error('BENCH_SCALE must be a positive number');
  return Math.max(min, Math.round(n * scale));
}
