import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Agent } from 'undici';
import { requestJson, tlsAgent, type JsonRequest, type JsonResponse } from './http.js';

const HOMESERVER_MAIN = fileURLToPath(new URL('../../homeserver/src/main.ts', import.meta.url));
const ORPHAN_GUARD = new URL('./orphan-guard.ts', import.meta.url).href;
const TSX = import.meta.resolve('tsx');

/** How long a server may take to answer on both listeners after it was spawned. */
const START_TIMEOUT_MS = 90_000;
/** SIGTERM first (the server drains and closes its database), SIGKILL after this. */
const STOP_GRACE_MS = 10_000;

export interface HearthServerSpec {
  serverName: string;
  clientPort: number;
  federationPort: number;
  dataDir: string;
  configPath: string;
  logPath: string;
  caPem: string;
}

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

/** A JSON log line as `time LEVEL msg {other fields}`, shortened; other lines as they are. */
function readableLine(line: string): string {
  let out = line;
  try {
    const { time, level, msg, service: _service, ...rest } = JSON.parse(line) as Record<string, unknown>;
    const fields = Object.keys(rest).length > 0 ? ` ${JSON.stringify(rest)}` : '';
    out = `${String(time ?? '').slice(11, 23)} ${LEVELS[level as number] ?? String(level)} ${String(msg ?? '')}${fields}`;
  } catch {
    // Not a log record (a stack trace, our start marker): kept as it is.
  }
  return out.length > 500 ? `${out.slice(0, 500)}…` : out;
}

/** Variables of the test process that would override the YAML file in the child (they win there). */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('HS_') || k === 'DATABASE_URL' || k === 'TEST_DATABASE_URL') continue;
    env[k] = v;
  }
  return env;
}

/**
 * One Hearth homeserver in its own process, run from the TypeScript sources with the run's YAML
 * configuration. Its output goes to `logPath`; it can be stopped and started again on the same
 * data, database and ports.
 */
export class HearthServer {
  readonly name: string;
  /** http://127.0.0.1:<port> — the client API. */
  readonly clientUrl: string;
  /** https://127.0.0.1:<port> — the federation listener. */
  readonly federationUrl: string;
  readonly dataDir: string;
  readonly logPath: string;
  /** The server's signing key file (`data_dir/signing.key`). */
  readonly signingKeyPath: string;
  readonly agent: Agent;
  private child: ChildProcess | undefined;
  private exited: Promise<void> | undefined;
  private starts = 0;

  constructor(private readonly spec: HearthServerSpec) {
    this.name = spec.serverName;
    this.clientUrl = `http://127.0.0.1:${spec.clientPort}`;
    this.federationUrl = `https://127.0.0.1:${spec.federationPort}`;
    this.dataDir = spec.dataDir;
    this.logPath = spec.logPath;
    this.signingKeyPath = path.join(spec.dataDir, 'signing.key');
    this.agent = tlsAgent(spec.caPem, spec.serverName);
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Spawns the server and waits until both listeners answer. */
  async start(): Promise<void> {
    if (this.child) throw new Error(`${this.name} is already running`);
    this.starts++;
    const log = openSync(this.logPath, 'a');
    writeSync(log, `--- ${this.name}: start #${this.starts} at ${new Date().toISOString()} ---\n`);
    let child: ChildProcess;
    try {
      child = spawn(process.execPath, ['--import', TSX, '--import', ORPHAN_GUARD, HOMESERVER_MAIN, '--config', this.spec.configPath], {
        cwd: this.dataDir,
        env: childEnv(),
        // stdin stays a pipe held by us: the orphan guard stops the server when it closes.
        stdio: ['pipe', log, log],
      });
    } finally {
      closeSync(log);
    }
    this.child = child;
    let exitCode: string | undefined;
    this.exited = new Promise<void>((resolve) => {
      const ended = (why: string): void => {
        exitCode ??= why;
        if (this.child === child) this.child = undefined;
        resolve();
      };
      child.once('exit', (code, signal) => ended(signal ?? String(code)));
      // Spawning itself failed: there will be no 'exit'.
      child.once('error', (err) => ended(err.message));
    });
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (!(await this.answers())) {
      if (exitCode !== undefined) throw new Error(`${this.name} exited (${exitCode}) while starting:\n${this.logTail(40)}`);
      if (Date.now() > deadline) {
        await this.stop();
        throw new Error(`${this.name} did not answer within ${START_TIMEOUT_MS / 1000} s:\n${this.logTail(40)}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  private async answers(): Promise<boolean> {
    try {
      const [client, federation] = await Promise.all([
        requestJson(`${this.clientUrl}/_matrix/client/versions`, { timeoutMs: 2000 }),
        requestJson(`${this.federationUrl}/_matrix/federation/v1/version`, { timeoutMs: 2000, dispatcher: this.agent }),
      ]);
      return client.status === 200 && federation.status === 200;
    } catch {
      return false;
    }
  }

  /** SIGTERM, then SIGKILL when the server has not exited after the grace period. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    const exited = this.exited!;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    await exited;
    clearTimeout(timer);
    child.stdin?.destroy();
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /** For process-exit handlers: no waiting possible there. */
  killSync(): void {
    this.child?.kill('SIGKILL');
  }

  /** How many bytes the server has logged so far (all starts): a mark for `logTail`. */
  logSize(): number {
    try {
      return statSync(this.logPath).size;
    } catch {
      return 0;
    }
  }

  /** The last `lines` lines of the server's output (all starts, or since the `from` mark), for failure reports. */
  logTail(lines = 60, from = 0): string {
    let text: string;
    try {
      text = readFileSync(this.logPath).subarray(from).toString('utf8');
    } catch {
      return '(no log)';
    }
    if (text.trim() === '') return '(nothing logged)';
    return text
      .trimEnd()
      .split('\n')
      .slice(-lines)
      .map(readableLine)
      .join('\n');
  }

  /** A request to the client API (no authentication unless the headers carry it). */
  client(pathAndQuery: string, req: JsonRequest = {}): Promise<JsonResponse> {
    return requestJson(`${this.clientUrl}${pathAndQuery}`, req);
  }

  /** A request to the federation listener over TLS, with `Host` set to the server name. */
  federation(pathAndQuery: string, req: JsonRequest = {}): Promise<JsonResponse> {
    return requestJson(`${this.federationUrl}${pathAndQuery}`, { ...req, dispatcher: this.agent, headers: { host: this.name, ...req.headers } });
  }
}
