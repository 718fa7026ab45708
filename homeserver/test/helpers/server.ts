import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ExecutionContext } from 'ava';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/config.js';
import { startHomeserver, type Homeserver, type StartOptions } from '../../src/homeserver.js';
import { createLogger } from '../../src/log/logger.js';
import { createTestDatabase, type TestDatabase } from './database.js';

export interface TestServer {
  hs: Homeserver;
  url: string;
  database: TestDatabase;
  dataDir: string;
  /** fetch against the server, JSON in and out. */
  request(method: string, urlPath: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any; headers: Headers }>;
}

/**
 * A real homeserver on a loopback port with its own fresh database and data folder, stopped and
 * cleaned up when the test ends. `env` takes the same variables an operator would set.
 */
export async function startTestServer(
  t: ExecutionContext,
  env: Record<string, string> = {},
  options: StartOptions & { tweak?: (c: Config) => void } = {},
): Promise<TestServer> {
  const database = await createTestDatabase();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'hearth-test-'));
  const config = loadConfig({
    env: {
      HS_SERVER_NAME: 'hs.test',
      HS_PORT: '0',
      HS_DATA_DIR: dataDir,
      HS_LOG_LEVEL: process.env.HS_TEST_LOG_LEVEL ?? 'silent',
      ...(database.url ? { DATABASE_URL: database.url } : {}),
      ...env,
    },
  });
  options.tweak?.(config);
  // A silent server still tells of a starved database pool: a test that then times out says why.
  const log = options.log ?? (process.env.HS_TEST_LOG_LEVEL ? undefined : createLogger('error', { write: (line: string) => void (line.includes('"component":"database"') && process.stderr.write(line)) }));
  const hs = await startHomeserver(config, { ...options, ...(log ? { log } : {}) });
  t.teardown(async () => {
    await hs.stop();
    await database.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });
  return {
    hs,
    url: hs.url,
    database,
    dataDir,
    request: (method, urlPath, body, headers) => requestJson(hs.url, method, urlPath, body, headers),
  };
}

/** A request to a server's client API; the body is sent as JSON unless it is a string, and parsed back when it is JSON. */
export async function requestJson(base: string, method: string, urlPath: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(`${base}${urlPath}`, {
    method,
    headers: { ...(body !== undefined && typeof body !== 'string' ? { 'Content-Type': 'application/json' } : {}), ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // Not JSON: the test sees the text.
  }
  return { status: res.status, body: parsed, headers: res.headers };
}
