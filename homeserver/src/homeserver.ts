import path from 'node:path';
import type http from 'node:http';
import https from 'node:https';
import type { Config } from './config/config.js';
import { openDatabase, type Database } from './db/database.js';
import { migrate } from './db/migrations.js';
import { allMigrations } from './db/schema.js';
import { createApp } from './http/app.js';
import { listen, type Listener } from './http/listener.js';
import { FastRoutes } from './http/fast-routes.js';
import { createLogger, type Logger } from './log/logger.js';
import { databaseMetrics } from './metrics/database.js';
import { httpMetrics } from './metrics/http.js';
import { createRegistry } from './metrics/registry.js';
import { boundPort, startMetricsServer } from './metrics/server.js';
import type { Component } from './components/component.js';
import { createDiscovery } from './components/discovery/index.js';
import { createFederation, type FederationComponent } from './components/federation/index.js';
import type { FederationApi } from './components/federation/api.js';
import { createUsers } from './components/users/index.js';
import { createRooms } from './components/rooms/index.js';
import { createSync } from './components/sync/index.js';
import { createMedia } from './components/media/index.js';
import type { MediaHooks } from './components/media/api.js';
import { createKeys } from './components/keys/index.js';
import { connectKeysFederation } from './components/keys/federation.js';
import { usersFederation } from './components/users/federation.js';
import { createWebClient } from './components/webclient/index.js';
import { loadOrCreateSigningKey, type ServerSigningKey } from './components/federation/signing-key.js';

export interface Homeserver {
  readonly config: Config;
  readonly log: Logger;
  readonly database: Database;
  readonly signingKey: ServerSigningKey;
  /** The client listener's base URL, e.g. http://127.0.0.1:8008 (the bound port when 0 was asked). */
  readonly url: string;
  /** The federation listener's base URL (https://…), undefined when it is off (no TLS certificate). */
  readonly federationUrl: string | undefined;
  /** Server keys, outbound federation and inbound transactions (for tests and wiring). */
  readonly federation: FederationApi;
  readonly metricsUrl: string | undefined;
  /** Every route the client listener serves, for keeping spec/ in step. */
  routes(): Array<{ path: string; methods: string[] }>;
  /** Every route the federation listener serves (whether or not it is on). */
  federationRoutes(): Array<{ path: string; methods: string[] }>;
  /**
   * Reads the federation listener's certificate and key again (renewed certificates, on SIGHUP);
   * new connections get them, open ones keep theirs. Throws, changing nothing, when they cannot be read.
   */
  reloadTls(): void;
  /** Graceful stop: no new connections, in-flight requests finish, components stop, the database closes. */
  stop(): Promise<void>;
}

/**
 * A transaction holds up to 50 PDUs of up to 64 KiB and 100 EDUs (to-device messages can be large):
 * the federation listener takes bodies well beyond the client API's limit.
 */
const FEDERATION_MAX_BODY_BYTES = 16 * 1024 * 1024;

export interface StartOptions {
  /** Replaces the configured logger (tests keep output quiet or capture it). */
  log?: Logger;
  /** What federation gives the media component (request authentication, remote fetching); tests pass fakes. */
  media?: MediaHooks;
}

/** The composition root: builds every component from the configuration and wires them together. */
export async function startHomeserver(config: Config, options: StartOptions = {}): Promise<Homeserver> {
  const log = options.log ?? createLogger(config.log.level);
  const signingKey = loadOrCreateSigningKey(config.signingKeyPath);
  const database = openDatabase({
    url: config.database.url,
    embeddedDir: path.join(config.dataDir, 'db'),
    poolMax: config.database.poolMax,
    warn: (message) => log.warn({ component: 'database' }, message),
    onPoolStarved: (connections) => log.error({ component: 'database', connections }, 'database pool starved: no connection was free for a query'),
  });
  const users = createUsers({ db: database.db, log, config });
  const components: Component[] = [
    createDiscovery({ publicBaseUrl: config.publicBaseUrl }),
    users,
  ];

  const registry = config.metrics.port !== undefined ? createRegistry() : undefined;
  let listener: Listener | undefined;
  let federationListener: Listener | undefined;
  let federation: FederationComponent | undefined;
  let routes: Array<{ path: string; methods: string[] }> = [];
  let federationRoutes: Array<{ path: string; methods: string[] }> = [];
  let metricsServer: http.Server | undefined;
  try {
    federation = createFederation({ db: database.db, log, serverName: config.serverName, signingKey, config: config.federation, registry });
    components.push(federation);
    const fedApi = federation.api;
    components.push(
      createMedia({
        db: database.db,
        log,
        config,
        authenticate: users.api.authenticate,
        profiles: users.api,
        // Other servers fetch our media over the federation listener with signed requests.
        federationAuth: { authenticate: (r) => fedApi.authenticateRequest(r) },
        // And we fetch theirs with signed requests, unless a test passes its own remoteFetcher.
        federationClient: fedApi.client,
        // Rooms is built after the migrations; the admin endpoints call this only once it exists.
        rooms: { mediaInRoom: (roomId) => rooms.api.mediaInRoom(roomId) },
        ...options.media,
      }),
    );
    // Read now, so that a bad certificate path stops start-up before anything else happens.
    const tls = federation.listenerTls();
    const applied = await migrate(database.db, allMigrations());
    if (applied.length > 0) log.info({ applied }, 'database schema updated');
    const rooms = await createRooms({
      db: database.db,
      log,
      serverName: config.serverName,
      signingKey,
      authenticate: users.api.authenticate,
      profiles: users.api,
      federation: fedApi,
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
    const keys = await createKeys({ db: database.db, log, serverName: config.serverName, users: users.api, rooms: rooms.api, sync });
    components.push(keys);
    // EDUs, keys and profiles over federation.
    connectKeysFederation(fedApi, keys.api, log);
    sync.useFederation(fedApi);
    users.api.useFederation(usersFederation(fedApi, log));
    for (const c of components) await c.start?.();

    if (registry) databaseMetrics(registry, database.db);
    const metrics = registry ? httpMetrics(registry) : undefined;
    const { app, router } = createApp({
      log,
      metrics,
      maxJsonBodyBytes: config.federation.onClientListener
        ? (p) => (p.startsWith('/_matrix/federation/') ? Math.max(config.limits.maxJsonBodyBytes, FEDERATION_MAX_BODY_BYTES) : config.limits.maxJsonBodyBytes)
        : config.limits.maxJsonBodyBytes,
      mountRoutes: (router) =>
        components.forEach((c) => {
          c.routes?.(router);
          if (config.federation.onClientListener) c.federationRoutes?.(router);
        }),
    });
    // Last in the chain: it only answers GETs that no route took, outside the API prefixes.
    const webclient = createWebClient({ ...config.webclient, log });
    if (webclient) app.use(webclient);
    routes = router.stack.filter((l) => l.methods.length > 0).map((l) => ({ path: String(l.path), methods: [...l.methods] }));
    const fast = new FastRoutes({ log, metrics, authenticate: users.api.authenticate });
    components.forEach((c) => c.fastRoutes?.(fast));
    listener = await listen(app, config.listen.bind, config.listen.port, undefined, fast);
    listener.server.on('upgrade', (req, socket, head) => {
      if (!components.some((c) => c.upgrade?.(req, socket, head))) {
        socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      }
    });
    // The federation listener: its own router and stack, TLS from the configuration.
    const fed = createApp({
      log,
      metrics,
      maxJsonBodyBytes: Math.max(config.limits.maxJsonBodyBytes, FEDERATION_MAX_BODY_BYTES),
      mountRoutes: (r) => components.forEach((c) => c.federationRoutes?.(r)),
    });
    federationRoutes = fed.router.stack.filter((l) => l.methods.length > 0).map((l) => ({ path: String(l.path), methods: [...l.methods] }));
    if (tls) {
      federationListener = await listen(fed.app, config.federation.listen.bind, config.federation.listen.port, tls);
    } else {
      log.info('federation listener off: no TLS certificate configured (federation.tls_cert_path, federation.tls_key_path)');
    }
    if (registry && config.metrics.port !== undefined) {
      metricsServer = await startMetricsServer(registry, config.metrics.bind, config.metrics.port);
    }
  } catch (err) {
    await listener?.close(0);
    await federationListener?.close(0);
    await federation?.stop?.().catch(() => undefined);
    metricsServer?.close();
    await database.close();
    throw err;
  }

  const host = config.listen.bind.includes(':') ? `[${config.listen.bind}]` : config.listen.bind === '0.0.0.0' ? '127.0.0.1' : config.listen.bind;
  const url = `http://${host}:${listener.port}`;
  const fedBind = config.federation.listen.bind;
  const fedHost = fedBind.includes(':') ? `[${fedBind === '::' ? '::1' : fedBind}]` : fedBind === '0.0.0.0' ? '127.0.0.1' : fedBind;
  const federationUrl = federationListener ? `https://${fedHost}:${federationListener.port}` : undefined;
  const metricsUrl = metricsServer ? `http://${config.metrics.bind.includes(':') ? `[${config.metrics.bind}]` : config.metrics.bind}:${boundPort(metricsServer)}/metrics` : undefined;
  log.info({ url, federationUrl, serverName: config.serverName, database: database.kind, keyId: signingKey.keyId, metrics: metricsUrl }, 'homeserver started');

  const openListener = listener;
  const openFederationListener = federationListener;
  const federationApi = federation.api;
  const federationComponent = federation;
  const federationApiTls = () => federationComponent.listenerTls();
  let stopping: Promise<void> | undefined;
  return {
    config,
    log,
    database,
    signingKey,
    url,
    federationUrl,
    federation: federationApi,
    metricsUrl,
    routes: () => routes,
    federationRoutes: () => federationRoutes,
    reloadTls() {
      const fresh = federationApiTls();
      if (!fresh || !(openFederationListener?.server instanceof https.Server)) return;
      openFederationListener.server.setSecureContext(fresh);
      log.info('federation TLS certificate reloaded');
    },
    stop() {
      stopping ??= (async () => {
        log.info('stopping: no new connections, finishing requests in flight');
        for (const c of components) c.beforeStop?.();
        await Promise.all([openListener.close(config.shutdown.graceMs), openFederationListener?.close(config.shutdown.graceMs)]);
        await new Promise<void>((resolve) => (metricsServer ? metricsServer.close(() => resolve()) : resolve()));
        for (const c of [...components].reverse()) await c.stop?.();
        await database.close();
        log.info('stopped');
      })();
      return stopping;
    },
  };
}
