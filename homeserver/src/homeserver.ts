import path from 'node:path';
import type http from 'node:http';
import type { Config } from './config/config.js';
import { openDatabase, type Database } from './db/database.js';
import { migrate } from './db/migrations.js';
import { allMigrations } from './db/schema.js';
import { createApp } from './http/app.js';
import { listen, type Listener } from './http/listener.js';
import { createLogger, type Logger } from './log/logger.js';
import { databaseMetrics } from './metrics/database.js';
import { httpMetrics } from './metrics/http.js';
import { createRegistry } from './metrics/registry.js';
import { boundPort, startMetricsServer } from './metrics/server.js';
import type { Component } from './components/component.js';
import { createDiscovery } from './components/discovery/index.js';
import { createFederation } from './components/federation/index.js';
import { createUsers } from './components/users/index.js';
import { createRooms } from './components/rooms/index.js';
import { createSync } from './components/sync/index.js';
import { loadOrCreateSigningKey, type ServerSigningKey } from './components/federation/signing-key.js';

export interface Homeserver {
  readonly config: Config;
  readonly log: Logger;
  readonly database: Database;
  readonly signingKey: ServerSigningKey;
  /** The client listener's base URL, e.g. http://127.0.0.1:8008 (the bound port when 0 was asked). */
  readonly url: string;
  readonly metricsUrl: string | undefined;
  /** Every route the client listener serves, for keeping spec/ in step. */
  routes(): Array<{ path: string; methods: string[] }>;
  /** Graceful stop: no new connections, in-flight requests finish, components stop, the database closes. */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Replaces the configured logger (tests keep output quiet or capture it). */
  log?: Logger;
}

/** The composition root: builds every component from the configuration and wires them together. */
export async function startHomeserver(config: Config, options: StartOptions = {}): Promise<Homeserver> {
  const log = options.log ?? createLogger(config.log.level);
  const signingKey = loadOrCreateSigningKey(config.signingKeyPath);
  const database = openDatabase({
    url: config.database.url,
    embeddedDir: path.join(config.dataDir, 'db'),
    poolMax: config.database.poolMax,
  });
  const users = createUsers({ db: database.db, log, config });
  const components: Component[] = [
    createDiscovery({ publicBaseUrl: config.publicBaseUrl }),
    createFederation({ serverName: config.serverName, signingKey }),
    users,
  ];

  let listener: Listener | undefined;
  let routes: Array<{ path: string; methods: string[] }> = [];
  let metricsServer: http.Server | undefined;
  try {
    const applied = await migrate(database.db, allMigrations());
    if (applied.length > 0) log.info({ applied }, 'database schema updated');
    const rooms = await createRooms({
      db: database.db,
      log,
      serverName: config.serverName,
      signingKey,
      authenticate: users.api.authenticate,
      profiles: users.api,
    });
    components.push(rooms);
    users.api.onProfileChanged((userId, profile) => rooms.api.updateProfileInRooms(userId, profile));
    users.api.onDeactivated((userId) => rooms.api.leaveAllRooms({ userId, deviceId: '', isAdmin: false }));
    const sync = await createSync({
      db: database.db,
      log,
      rooms: rooms.api,
      users: users.api,
      authenticate: users.api.authenticate,
      presence: config.presence,
      ws: config.websocket,
    });
    components.push(sync);
    for (const c of components) await c.start?.();

    const registry = config.metrics.port !== undefined ? createRegistry() : undefined;
    if (registry) databaseMetrics(registry, database.db);
    const { app, router } = createApp({
      log,
      metrics: registry ? httpMetrics(registry) : undefined,
      maxJsonBodyBytes: config.limits.maxJsonBodyBytes,
      mountRoutes: (router) => components.forEach((c) => c.routes?.(router)),
    });
    routes = router.stack.filter((l) => l.methods.length > 0).map((l) => ({ path: String(l.path), methods: [...l.methods] }));
    listener = await listen(app, config.listen.bind, config.listen.port);
    listener.server.on('upgrade', (req, socket, head) => {
      if (!components.some((c) => c.upgrade?.(req, socket, head))) {
        socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      }
    });
    if (registry && config.metrics.port !== undefined) {
      metricsServer = await startMetricsServer(registry, config.metrics.bind, config.metrics.port);
    }
  } catch (err) {
    await listener?.close(0);
    metricsServer?.close();
    await database.close();
    throw err;
  }

  const host = config.listen.bind.includes(':') ? `[${config.listen.bind}]` : config.listen.bind === '0.0.0.0' ? '127.0.0.1' : config.listen.bind;
  const url = `http://${host}:${listener.port}`;
  const metricsUrl = metricsServer ? `http://${config.metrics.bind.includes(':') ? `[${config.metrics.bind}]` : config.metrics.bind}:${boundPort(metricsServer)}/metrics` : undefined;
  log.info({ url, serverName: config.serverName, database: database.kind, keyId: signingKey.keyId, metrics: metricsUrl }, 'homeserver started');

  const openListener = listener;
  let stopping: Promise<void> | undefined;
  return {
    config,
    log,
    database,
    signingKey,
    url,
    metricsUrl,
    routes: () => routes,
    stop() {
      stopping ??= (async () => {
        log.info('stopping: no new connections, finishing requests in flight');
        for (const c of components) c.beforeStop?.();
        await openListener.close(config.shutdown.graceMs);
        await new Promise<void>((resolve) => (metricsServer ? metricsServer.close(() => resolve()) : resolve()));
        for (const c of [...components].reverse()) await c.stop?.();
        await database.close();
        log.info('stopped');
      })();
      return stopping;
    },
  };
}
