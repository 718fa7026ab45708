import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { makeCa, type ThrowawayCa } from './ca.js';
import { onProcessEnd } from './cleanup.js';
import { serverConfigYaml, type ConfigOverrides } from './config.js';
import { postgresServerUrl } from '../../homeserver/test/helpers/database.js';
import { createDatabases, type RunDatabase } from './databases.js';
import { freePorts } from './ports.js';
import { HearthServer } from './server.js';

export const SERVER_NAMES = ['hs1.test', 'hs2.test', 'hs3.test'] as const;
export type ServerName = (typeof SERVER_NAMES)[number];

const RUN_DIR_PREFIX = 'hearth-federation-';
/** A run folder this old belongs to a run that was killed outright (no run lasts an hour). */
const STALE_RUN_MS = 3600_000;

/** Removes run folders left by killed runs; those of live runs are younger. */
function sweepStaleRunDirs(): void {
  const root = tmpdir();
  for (const entry of readdirSync(root)) {
    if (!entry.startsWith(RUN_DIR_PREFIX)) continue;
    const full = path.join(root, entry);
    try {
      if (Date.now() - statSync(full).mtimeMs > STALE_RUN_MS) rmSync(full, { recursive: true, force: true });
    } catch {
      // Another run removed it first.
    }
  }
}

export interface NetworkOptions {
  names?: readonly string[];
  /** Settings for every server, or per server name. */
  config?: ConfigOverrides | ((name: string) => ConfigOverrides);
  /**
   * 'pglite': each server's embedded database, even when PostgreSQL answers. Default: PostgreSQL
   * when reachable; FEDERATION_TESTS_DATABASE=pglite sets it for a whole run.
   */
  database?: 'postgres' | 'pglite';
}

export interface Network {
  readonly servers: readonly HearthServer[];
  readonly ca: ThrowawayCa;
  /** The run's folder: CA, configurations, logs and data folders. */
  readonly dir: string;
  /** 'postgres' or 'pglite', for messages. */
  readonly database: 'postgres' | 'pglite';
  /** Shared secret of `/_synapse/admin/v1/register`, the same on every server. */
  readonly sharedSecret: string;
  server(name: string): HearthServer;
  /** Each server's log size: a mark to pass to `logTails`. */
  logMarks(): Map<string, number>;
  /** Each server's last log lines (since the marks, when given), for a failure report. */
  logTails(lines?: number, marks?: Map<string, number>): string;
  /** Stops every server, drops the databases, removes the run's folder. */
  close(): Promise<void>;
}

/**
 * Starts one Hearth process per name on 127.0.0.1, each with its own database, data folder,
 * certificate (from a CA made for this run) and pair of ports chosen up front, so a restarted
 * server comes back where the others expect it.
 */
export async function startNetwork(options: NetworkOptions = {}): Promise<Network> {
  const names = options.names ?? SERVER_NAMES;
  sweepStaleRunDirs();
  const dir = mkdtempSync(path.join(tmpdir(), RUN_DIR_PREFIX));
  const servers: HearthServer[] = [];
  let databases: RunDatabase[] = [];
  const cleanupSync = (): void => {
    servers.forEach((s) => s.killSync());
    databases.forEach((d) => d.dropSync());
    rmSync(dir, { recursive: true, force: true });
  };
  const unregister = onProcessEnd(cleanupSync);

  const close = async (): Promise<void> => {
    await Promise.all(servers.map((s) => s.stop()));
    await Promise.all(databases.map((d) => d.drop().catch(() => d.dropSync())));
    for (const s of servers) await s.agent.close().catch(() => undefined);
    // FEDERATION_TESTS_KEEP=1 keeps logs and data folders to look at (removed by a run an hour later).
    if (process.env['FEDERATION_TESTS_KEEP'] === '1') process.stderr.write(`federation-tests: kept ${dir}\n`);
    else rmSync(dir, { recursive: true, force: true });
    unregister();
  };

  try {
    const kind = options.database ?? (process.env['FEDERATION_TESTS_DATABASE'] === 'pglite' ? 'pglite' : 'postgres');
    const pgServer = kind === 'pglite' ? undefined : await postgresServerUrl();
    const caDir = path.join(dir, 'ca');
    mkdirSync(caDir);
    const [ca, dbs] = await Promise.all([makeCa(caDir), pgServer ? createDatabases(pgServer, names) : Promise.resolve([])]);
    databases = dbs;
    const certs = await Promise.all(names.map((n) => ca.issue(n)));
    const sharedSecret = randomBytes(24).toString('hex');

    /** Lays the servers out on fresh ports (configuration files written) and starts them. */
    const layOutAndStart = async (): Promise<void> => {
      const ports = await freePorts(names.length * 2);
      const peers = new Map(names.map((n, i) => [n, ports[2 * i + 1]!]));
      names.forEach((name, i) => {
        const serverDir = path.join(dir, name);
        const dataDir = path.join(serverDir, 'data');
        mkdirSync(dataDir, { recursive: true });
        const overrides = typeof options.config === 'function' ? options.config(name) : options.config;
        const configPath = path.join(serverDir, 'homeserver.yaml');
        const layout = {
          serverName: name,
          clientPort: ports[2 * i]!,
          federationPort: ports[2 * i + 1]!,
          dataDir,
          databaseUrl: databases[i]?.url,
          tls: certs[i]!,
          caPath: ca.certPath,
          peers,
          sharedSecret,
        };
        writeFileSync(configPath, serverConfigYaml(layout, overrides));
        servers.push(new HearthServer({ ...layout, configPath, logPath: path.join(serverDir, 'server.log'), caPem: ca.pem }));
      });
      await Promise.all(servers.map((s) => s.start()));
    };
    for (let attempt = 1; ; attempt++) {
      try {
        await layOutAndStart();
        break;
      } catch (err) {
        // Another process took one of the ports between choosing and binding: choose again.
        if (attempt >= 3 || !String(err).includes('EADDRINUSE')) throw err;
        await Promise.all(servers.map((s) => s.stop()));
        await Promise.all(servers.map((s) => s.agent.close().catch(() => undefined)));
        servers.length = 0;
      }
    }

    const network: Network = {
      servers,
      ca,
      dir,
      database: pgServer ? 'postgres' : 'pglite',
      sharedSecret,
      server(name) {
        const s = servers.find((x) => x.name === name);
        if (!s) throw new Error(`no server ${name} in this network`);
        return s;
      },
      logMarks() {
        return new Map(servers.map((s) => [s.name, s.logSize()]));
      },
      logTails(lines = 40, marks) {
        return servers.map((s) => `===== ${s.name} (${s.logPath}) =====\n${s.logTail(lines, marks?.get(s.name) ?? 0)}`).join('\n');
      },
      close,
    };
    return network;
  } catch (err) {
    await close().catch(() => cleanupSync());
    throw err;
  }
}
