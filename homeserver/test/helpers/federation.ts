import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Agent, request } from 'undici';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/config.js';
import type { ResolveTarget } from '../../src/config/federation.js';
import { startHomeserver, type Homeserver } from '../../src/homeserver.js';
import { openDatabase, type Database } from '../../src/db/database.js';
import { xMatrixAuthorization } from '../../src/components/federation/auth/x-matrix.js';
import { createTestDatabase, type TestDatabase } from './database.js';

/**
 * Several real Hearth servers federating over TLS on 127.0.0.1: a throwaway CA made with the
 * openssl CLI, a certificate per server name, `resolve_override` pointing the servers at each
 * other and `extra_ca_path` trusting the CA. Servers can be stopped and started again on the same
 * data (a restart), which moves their port; the shared override map follows.
 */

const run = promisify(execFile);

export interface TestCa {
  readonly dir: string;
  readonly certPath: string;
  readonly pem: string;
  /** A certificate for a DNS name or an IP address, signed by this CA. */
  issue(name: string): Promise<{ certPath: string; keyPath: string }>;
}

async function openssl(args: string[], cwd: string): Promise<void> {
  try {
    await run('openssl', args, { cwd });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error('the federation tests make certificates with the openssl command line tool; install openssl');
    }
    throw err;
  }
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

async function makeCa(label: string): Promise<TestCa> {
  const dir = mkdtempSync(path.join(tmpdir(), `hearth-ca-${label}-`));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  await openssl(
    ['req', '-x509', ...EC, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', `/CN=Hearth test CA ${label}`,
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'],
    dir,
  );
  const issued = new Map<string, Promise<{ certPath: string; keyPath: string }>>();
  const issue = (name: string): Promise<{ certPath: string; keyPath: string }> => {
    let p = issued.get(name);
    if (!p) {
      p = (async () => {
        const base = name.replace(/[^A-Za-z0-9.-]/g, '_');
        const san = isIP(name) ? `IP:${name}` : `DNS:${name}`;
        writeFileSync(path.join(dir, `${base}.ext`), `subjectAltName=${san}\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n`);
        await openssl(['req', ...EC, '-keyout', `${base}.key`, '-out', `${base}.csr`, '-subj', `/CN=${name}`], dir);
        await openssl(
          ['x509', '-req', '-in', `${base}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial', `0x${randomBytes(8).toString('hex')}`,
            '-days', '2', '-out', `${base}.pem`, '-extfile', `${base}.ext`],
          dir,
        );
        return { certPath: path.join(dir, `${base}.pem`), keyPath: path.join(dir, `${base}.key`) };
      })();
      issued.set(name, p);
    }
    return p;
  };
  const certPath = path.join(dir, 'ca.pem');
  return { dir, certPath, pem: readFileSync(certPath, 'utf8'), issue };
}

const cas = new Map<string, Promise<TestCa>>();

/** One CA per label per test process; tests wanting an untrusted CA ask for another label. */
export function testCa(label = 'main'): Promise<TestCa> {
  let ca = cas.get(label);
  if (!ca) cas.set(label, (ca = makeCa(label)));
  return ca;
}

export interface FederatedServer {
  readonly name: string;
  /** The running homeserver; replaced by start() after a stop(). */
  readonly hs: Homeserver;
  /** https://127.0.0.1:<port> of the federation listener. */
  readonly federationUrl: string;
  readonly dataDir: string;
  readonly database: TestDatabase;
  readonly running: boolean;
  stop(): Promise<void>;
  /** Starts again on the same data and database (a new port; the network's override map follows). */
  start(): Promise<void>;
}

export interface ServerOptions {
  /** Environment variables on top of the harness's (e.g. HS_FEDERATION_RETRY_INITIAL_MS). */
  env?: Record<string, string>;
  /** Issue the certificate from another CA (one the others do not trust). */
  caLabel?: string;
  tweak?: (config: Config) => void;
  /** Runs as soon as the server (or a restarted one) is up, before it handles a request: register handlers here. */
  onStart?: (hs: Homeserver) => void;
}

export interface FederationNetwork {
  readonly servers: FederatedServer[];
  readonly ca: TestCa;
  /** Server name → where it listens now; every server resolves through this map. */
  readonly overrides: Map<string, ResolveTarget>;
  server(name: string): FederatedServer;
  /** Stops every server, drops the databases and removes the data folders. */
  close(): Promise<void>;
}

/**
 * Starts one server per name, each with its own database, data folder and certificate, all on
 * 127.0.0.1, all resolving each other through one shared override map. Call `close()` when done
 * (in `test.after.always` when servers are shared by a file's tests).
 */
export async function startFederation(names: readonly string[], options: ServerOptions | ((name: string) => ServerOptions) = {}): Promise<FederationNetwork> {
  const ca = await testCa();
  const overrides = new Map<string, ResolveTarget>();
  const servers = await Promise.all(names.map(async (name) => startServer(name, typeof options === 'function' ? options(name) : options, ca, overrides)));
  return {
    servers,
    ca,
    overrides,
    server(name) {
      const s = servers.find((x) => x.name === name);
      if (!s) throw new Error(`no server ${name}`);
      return s;
    },
    async close() {
      await Promise.all(servers.map(async (s) => {
        if (s.running) await s.stop();
        await s.database.drop();
        rmSync(s.dataDir, { recursive: true, force: true });
      }));
    },
  };
}

async function startServer(name: string, options: ServerOptions, trustedCa: TestCa, overrides: Map<string, ResolveTarget>): Promise<FederatedServer> {
  const issuer = options.caLabel ? await testCa(options.caLabel) : trustedCa;
  const [{ certPath, keyPath }, database] = await Promise.all([issuer.issue(name), createTestDatabase()]);
  const dataDir = mkdtempSync(path.join(tmpdir(), `hearth-fed-${name}-`));
  const env: Record<string, string> = {
    HS_SERVER_NAME: name,
    HS_PORT: '0',
    HS_DATA_DIR: dataDir,
    HS_LOG_LEVEL: process.env.HS_TEST_LOG_LEVEL ?? 'silent',
    HS_FEDERATION_BIND: '127.0.0.1',
    HS_FEDERATION_PORT: '0',
    HS_FEDERATION_TLS_CERT_PATH: certPath,
    HS_FEDERATION_TLS_KEY_PATH: keyPath,
    HS_FEDERATION_EXTRA_CA_PATH: trustedCa.certPath,
    // Federation goes over the HTTPS listener alone, so tests cannot pass through plain HTTP by mistake.
    HS_FEDERATION_ON_CLIENT_LISTENER: '0',
    HS_SHUTDOWN_GRACE_MS: '2000',
    ...(database.url ? { DATABASE_URL: database.url } : {}),
    ...options.env,
  };
  let hs: Homeserver | undefined;
  const boot = async (): Promise<void> => {
    const config = loadConfig({ env });
    // One map for the whole network, so a restarted server's new port is seen by all.
    config.federation.resolveOverride = overrides;
    options.tweak?.(config);
    hs = await startHomeserver(config);
    options.onStart?.(hs);
    overrides.set(name, { host: '127.0.0.1', port: Number(new URL(hs.federationUrl!).port) });
  };
  await boot();
  return {
    name,
    dataDir,
    database,
    get hs() {
      if (!hs) throw new Error(`${name} is stopped`);
      return hs;
    },
    get federationUrl() {
      if (!hs) throw new Error(`${name} is stopped`);
      return hs.federationUrl!;
    },
    get running() {
      return hs !== undefined;
    },
    async stop() {
      const h = hs;
      hs = undefined;
      await h?.stop();
    },
    async start() {
      if (hs) throw new Error(`${name} is running`);
      await boot();
    },
  };
}

const agents = new Map<string, Agent>();

function agentFor(ca: TestCa): Agent {
  let agent = agents.get(ca.certPath);
  if (!agent) agents.set(ca.certPath, (agent = new Agent({ connect: { ca: ca.pem } })));
  return agent;
}

export interface RawFederationRequest {
  method: string;
  path: string;
  body?: unknown;
  /** The Authorization header as is; see `signedBy` for a correct one. */
  authorization?: string;
}

/** A request to a server's federation listener over TLS verified against the test CA. */
export async function federationRequest(to: FederatedServer, ca: TestCa, req: RawFederationRequest): Promise<{ status: number; body: any }> {
  const res = await request(`${to.federationUrl}${req.path}`, {
    method: req.method as 'GET',
    dispatcher: agentFor(ca),
    headers: {
      host: to.name,
      ...(req.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(req.authorization !== undefined ? { authorization: req.authorization } : {}),
    },
    body: req.body === undefined ? undefined : typeof req.body === 'string' ? req.body : JSON.stringify(req.body),
  });
  const text = await res.body.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // Not JSON: the test sees the text.
  }
  return { status: res.statusCode, body };
}

/** The X-Matrix header `from` would send to `to` for this request. */
export function signedBy(from: FederatedServer, to: { name: string }, req: { method: string; path: string; body?: unknown }): string {
  return xMatrixAuthorization(
    { method: req.method, uri: req.path, origin: from.name, destination: to.name, content: req.body },
    from.hs.signingKey.keyId,
    from.hs.signingKey.seed,
  );
}

/** The database of a stopped server, for changes made while it is down (a key rotation). */
export function openServerDatabase(server: FederatedServer): Database {
  if (server.running) throw new Error(`${server.name} is running`);
  return server.database.url ? openDatabase({ url: server.database.url }) : openDatabase({ embeddedDir: path.join(server.dataDir, 'db') });
}

/** Polls `condition` until it holds; fails after `timeoutMs`. */
export async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
