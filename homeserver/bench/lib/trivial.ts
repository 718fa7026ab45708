import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { readRss } from './server.js';

const script = fileURLToPath(new URL('./trivial-server.ts', import.meta.url));

export interface TrivialServer {
  url: string;
  /** Resident memory of the trivial server's process now, in bytes. */
  rssNow(): number;
  /** Makes every GET answer with this JSON value. */
  serve(body: unknown): Promise<void>;
  /** Sends `text` to every open WebSocket; answers how many. */
  broadcast(text: string): Promise<number>;
  stop(): Promise<void>;
}

/** Starts bench/lib/trivial-server.ts in its own process (see there). */
export async function startTrivialServer(): Promise<TrivialServer> {
  const child = spawn(process.execPath, ['--import=tsx', script], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const waiting: Array<(v: any) => void> = [];
  lines.on('line', (l) => waiting.shift()?.(JSON.parse(l)));
  const next = (): Promise<any> => new Promise((resolve) => waiting.push(resolve));
  const send = (o: unknown): Promise<any> => {
    const answer = next();
    child.stdin.write(`${JSON.stringify(o)}\n`);
    return answer;
  };
  const { port } = (await next()) as { port: number };
  const dir = mkdtempSync(path.join(tmpdir(), 'hearth-trivial-'));
  return {
    url: `http://127.0.0.1:${port}`,
    rssNow: () => readRss(child.pid!),
    async serve(body) {
      const file = path.join(dir, 'body.json');
      writeFileSync(file, JSON.stringify(body));
      await send({ body: file });
    },
    async broadcast(text) {
      return ((await send({ broadcast: text })) as { sent: number }).sent;
    },
    async stop() {
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.stdin.end();
      await gone;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
