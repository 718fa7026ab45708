import { writeFileSync } from 'node:fs';
import pg from 'pg';

/**
 * Loaded into a bench server with `BENCH_SERVER_NODE_ARGS="--import=tsx --import=./bench/lib/query-timer.ts"`
 * and `BENCH_QUERY_TIMES_FILE=/tmp/q.json`: times every query of every pg connection (from the call
 * to the answer, so waiting behind the connection's previous query is included) and, when the
 * process exits, writes count and total milliseconds per statement, the costliest first.
 */
const file = process.env.BENCH_QUERY_TIMES_FILE;
if (file) {
  const byStatement = new Map<string, { count: number; ms: number; rows: number }>();
  const note = (sql: string, ms: number, rows: number): void => {
    // Long multi-row VALUES lists differ only in length: one entry for all of them.
    const key = sql.replace(/\(\$\d+(, \$\d+)*\)(, \(\$\d+(, \$\d+)*\))+/g, '(…rows…)').replace(/\$\d+(, \$\d+)+/g, '$…').slice(0, 300);
    const s = byStatement.get(key) ?? { count: 0, ms: 0, rows: 0 };
    s.count++;
    s.ms += ms;
    s.rows += rows;
    byStatement.set(key, s);
  };
  const original = pg.Client.prototype.query as (...args: any[]) => any;
  (pg.Client.prototype as any).query = function timedQuery(this: pg.Client, ...args: any[]): any {
    const sql = typeof args[0] === 'string' ? args[0] : typeof args[0]?.text === 'string' ? args[0].text : '';
    const start = performance.now();
    const last = args[args.length - 1];
    if (typeof last === 'function') {
      args[args.length - 1] = (err: unknown, res: { rowCount?: number } | undefined) => {
        note(sql, performance.now() - start, res?.rowCount ?? 0);
        return last(err, res);
      };
      return original.apply(this, args);
    }
    const result = original.apply(this, args);
    if (result && typeof result.then === 'function') {
      return result.then((res: { rowCount?: number } | undefined) => {
        note(sql, performance.now() - start, res?.rowCount ?? 0);
        return res;
      });
    }
    return result;
  };
  process.on('exit', () => {
    const rows = [...byStatement].map(([sql, s]) => ({ sql, count: s.count, total_ms: Math.round(s.ms), mean_ms: Math.round((s.ms / s.count) * 100) / 100, rows: s.rows }));
    rows.sort((a, b) => b.total_ms - a.total_ms);
    writeFileSync(file, JSON.stringify(rows, null, 1));
  });
}
