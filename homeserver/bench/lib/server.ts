import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import net from 'node:net';
import { createScratchDatabase } from './database.js';

/** A TCP port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const p = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(p));
    });
  });
}

// The built server, as `npm start` runs it (`npm run bench` builds first). Run through tsx, every
// closure the server makes also went through esbuild's name-keeping helper: 3% of its CPU in
// the long-poll fan-out, a cost no operator pays. BENCH_SERVER_MAIN names another build's main.js,
// to compare two builds on one machine.
const main = process.env.BENCH_SERVER_MAIN ?? fileURLToPath(new URL('../../dist/main.js', import.meta.url));

/** The Node flags `npm start` gives the server (homeserver/package.json): the bench runs what operators run. */
const startFlags = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { scripts: { start: string } }).scripts.start
  .split(/\s+/)
  .filter((word) => word.startsWith('--'));

export interface BenchServer {
  url: string;
  pid: number;
  /** The server's own database, for measuring what it stores. */
  databaseUrl: string;
  /** Peak resident memory of the server process so far, in bytes (from /proc). */
  rss(): number;
  /** Resident memory of the server process now, in bytes. */
  rssNow(): number;
  /** The server's own account of its memory (from its metrics port), in bytes. */
  memory(): Promise<{ heapUsed: number; heapTotal: number; external: number }>;
  /** The last 20,000 characters the server wrote to stdout and stderr (its log, warn level and up). */
  output(): string;
  /** Errors the server logged (level error and up), each shortened to its start and end. */
  errors(): string[];
  /**
   * Stops the server process and starts a new one on the same database, data folder and port:
   * nothing in memory, as after an upgrade. `pid` names the new process.
   */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export function readRss(pid: number): number {
  try {
    // VmRSS in kB from /proc/<pid>/status: the server's own memory, not the bench's.
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /VmRSS:\s+(\d+) kB/.exec(status);
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** CPU time (user + system) a process has used so far, in milliseconds (from /proc). */
export function readCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which may itself hold spaces: utime and stime are the 12th and 13th.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
  } catch {
    return 0;
  }
}

/** What a server process wrote: its recent output and its errors, across restarts. */
class ServerLog {
  out = '';
  readonly errors: string[] = [];
  private partial = '';

  follow(child: ChildProcess): void {
    // BENCH_SERVER_LOG_FILE keeps the server's whole log (with BENCH_SERVER_LOG_LEVEL, e.g. info).
    const logFile = process.env.BENCH_SERVER_LOG_FILE ? createWriteStream(process.env.BENCH_SERVER_LOG_FILE, { flags: 'a' }) : undefined;
    if (logFile) {
      child.stdout!.pipe(logFile, { end: false });
      child.stderr!.pipe(logFile, { end: false });
    }
    child.stdout!.on('data', (d: Buffer) => (this.out = (this.out + d.toString()).slice(-20_000)));
    child.stdout!.on('data', (d: Buffer) => this.collectErrors(d.toString()));
    child.stderr!.on('data', (d: Buffer) => (this.out = (this.out + d.toString()).slice(-20_000)));
  }

  // Log lines can be megabytes (a failed query quotes its SQL): errors are kept as head … tail.
  private collectErrors(text: string): void {
    if (!text.includes('\n')) {
      this.partial += text;
      return;
    }
    const lines = (this.partial + text).split('\n');
    this.partial = lines.pop()!;
    for (const line of lines) {
      if (!/^\{"level":(5|6)\d/.test(line)) continue;
      let said = line;
      try {
        const entry = JSON.parse(line) as { msg?: string; err?: { message?: string } };
        said = `${entry.msg ?? ''}: ${entry.err?.message ?? ''}`;
      } catch {
        // not JSON: kept as written
      }
      this.errors.push(said.length > 600 ? `${said.slice(0, 200)} … ${said.slice(-400)}` : said);
    }
  }
}

/** A started server process, answering on `url` once this resolves; it is killed when it never does. */
async function launch(env: NodeJS.ProcessEnv, url: string, log: ServerLog): Promise<{ child: ChildProcess; exited: () => boolean }> {
  const extra = process.env.BENCH_SERVER_NODE_ARGS ? process.env.BENCH_SERVER_NODE_ARGS.split(' ') : [];
  const child: ChildProcess = spawn(process.execPath, [...startFlags, ...extra, main], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  log.follow(child);
  let exited = false;
  child.once('exit', () => (exited = true));
  // Request logs stay off (warn level), so readiness is asked, not read from the log.
  for (let i = 0; ; i++) {
    if (exited || i > 600) {
      if (!exited) child.kill('SIGKILL');
      throw new Error(`server ${exited ? 'exited' : 'did not start'}:\n${log.out}`);
    }
    try {
      const res = await fetch(`${url}/_matrix/client/versions`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, exited: () => exited };
}

async function halt(run: { child: ChildProcess; exited: () => boolean }): Promise<void> {
  if (run.exited()) return;
  const gone = new Promise((resolve) => run.child.once('exit', resolve));
  run.child.kill('SIGTERM');
  await gone;
}

/**
 * A real homeserver in its own process on a fresh PostgreSQL database, as an operator runs it,
 * so the bench's clients do not share its event loop.
 */
export async function startBenchServer(env: Record<string, string> = {}): Promise<BenchServer> {
  const db = await createScratchDatabase();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'hearth-bench-'));
  const port = await freePort();
  const metricsPort = await freePort();
  const serverEnv = {
    ...process.env,
    DATABASE_URL: db.url,
    HS_DATA_DIR: dataDir,
    HS_PORT: String(port),
    HS_SERVER_NAME: 'bench.test',
    HS_LOG_LEVEL: process.env.BENCH_SERVER_LOG_LEVEL ?? 'warn',
    HS_OPEN_REGISTRATION: '1',
    HS_RATE_LIMIT_REGISTER_BURST: '1000000',
    HS_RATE_LIMIT_LOGIN_BURST: '1000000',
    HS_DATABASE_POOL_MAX: '20',
    HS_METRICS_PORT: String(metricsPort),
    ...env,
  };
  const url = `http://127.0.0.1:${port}`;
  const log = new ServerLog();
  const cleanUp = async (): Promise<void> => {
    await db.drop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  let run: Awaited<ReturnType<typeof launch>>;
  try {
    run = await launch(serverEnv, url, log);
  } catch (err) {
    await cleanUp();
    throw err;
  }
  let peak = 0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, readRss(run.child.pid!));
  }, 100);
  return {
    url,
    get pid() {
      return run.child.pid!;
    },
    databaseUrl: db.url,
    rss: () => Math.max(peak, readRss(run.child.pid!)),
    rssNow: () => readRss(run.child.pid!),
    output: () => log.out,
    errors: () => [...log.errors],
    async memory() {
      const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      const metric = (name: string): number => Number(new RegExp(`^hearth_${name} (\\S+)`, 'm').exec(text)?.[1] ?? NaN);
      return { heapUsed: metric('nodejs_heap_size_used_bytes'), heapTotal: metric('nodejs_heap_size_total_bytes'), external: metric('nodejs_external_memory_bytes') };
    },
    async restart() {
      await halt(run);
      run = await launch(serverEnv, url, log);
    },
    async stop() {
      clearInterval(sampler);
      await halt(run);
      await cleanUp();
    },
  };
}
