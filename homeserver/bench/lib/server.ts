import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import net from 'node:net';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const p = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(p));
    });
  });
}

const main = fileURLToPath(new URL('../../src/main.ts', import.meta.url));
const DEFAULT_PG = 'postgres://postgres@127.0.0.1:5432/postgres';

export interface BenchServer {
  url: string;
  pid: number;
  /** Peak resident memory of the server process so far, in bytes (from /proc). */
  rss(): number;
  stop(): Promise<void>;
}

function readRss(pid: number): number {
  try {
    // VmRSS in kB from /proc/<pid>/status: the server's own memory, not the bench's.
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /VmRSS:\s+(\d+) kB/.exec(status);
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/**
 * A real homeserver in its own process on a fresh PostgreSQL database, as an operator runs it,
 * so the bench's clients do not share its event loop.
 */
export async function startBenchServer(env: Record<string, string> = {}): Promise<BenchServer> {
  const admin = process.env.BENCH_DATABASE_URL ?? DEFAULT_PG;
  const name = `hearth_bench_${randomBytes(4).toString('hex')}`;
  const c = new pg.Client({ connectionString: admin });
  await c.connect();
  await c.query(`CREATE DATABASE ${name}`);
  await c.end();
  const dbUrl = new URL(admin);
  dbUrl.pathname = `/${name}`;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'hearth-bench-'));
  const port = await freePort();
  const extra = process.env.BENCH_SERVER_NODE_ARGS ? process.env.BENCH_SERVER_NODE_ARGS.split(' ') : [];
  const child: ChildProcess = spawn(process.execPath, [...extra, '--import=tsx', main], {
    env: {
      ...process.env,
      DATABASE_URL: dbUrl.toString(),
      HS_DATA_DIR: dataDir,
      HS_PORT: String(port),
      HS_SERVER_NAME: 'bench.test',
      HS_LOG_LEVEL: 'warn',
      HS_OPEN_REGISTRATION: '1',
      HS_RATE_LIMIT_REGISTER_BURST: '1000000',
      HS_RATE_LIMIT_LOGIN_BURST: '1000000',
      HS_DATABASE_POOL_MAX: '20',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
  child.stderr!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
  let exited = false;
  child.once('exit', () => (exited = true));
  const url = `http://127.0.0.1:${port}`;
  // Request logs stay off (warn level), so readiness is asked, not read from the log.
  for (let i = 0; ; i++) {
    if (exited) throw new Error(`server exited:\n${out}`);
    if (i > 600) throw new Error(`server did not start:\n${out}`);
    try {
      const res = await fetch(`${url}/_matrix/client/versions`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  let peak = 0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, readRss(child.pid!));
  }, 100);
  return {
    url,
    pid: child.pid!,
    rss: () => Math.max(peak, readRss(child.pid!)),
    async stop() {
      clearInterval(sampler);
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
      const c2 = new pg.Client({ connectionString: admin });
      await c2.connect();
      await c2.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c2.end();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
