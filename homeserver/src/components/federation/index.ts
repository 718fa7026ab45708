import type { SecureContextOptions } from 'node:tls';
import type Router from '@koa/router';
import type { Knex } from 'knex';
import type { Registry } from 'prom-client';
import type { FederationConfig } from '../../config/federation.js';
import type { Logger } from '../../log/logger.js';
import { IpGuard } from '../../util/ip-ranges.js';
import type { Component } from '../component.js';
import type { FederationApi } from './api.js';
import { requireServerAcl, requireServerAuth } from './auth/middleware.js';
import { RequestAuthenticator } from './auth/request-auth.js';
import { ServerResolver } from './discovery/resolver.js';
import { systemSrvLookup, type SrvLookup } from './discovery/srv.js';
import { WellKnownFetcher } from './discovery/well-known.js';
import { EduHandlers } from './inbound/edus.js';
import { TransactionReceiver, TXN_RECORD_MS } from './inbound/transactions.js';
import { KeyDocumentCache } from './key-document.js';
import { RemoteKeySource } from './keys/key-fetcher.js';
import { KeyRing } from './keys/key-ring.js';
import { Notary } from './keys/notary.js';
import { OutboundQueue } from './outbound/queue.js';
import { keyQueryRoutes } from './routes/key-query.js';
import { keyServerRoutes } from './routes/key-server.js';
import { sendRoutes } from './routes/send.js';
import { versionRoutes } from './routes/version.js';
import { wellKnownServerRoutes } from './routes/well-known-server.js';
import type { ServerSigningKey } from './signing-key.js';
import { InboundTxnStore } from './storage/inbound-txns.js';
import { listOldOwnKeys } from './storage/own-keys.js';
import { RemoteKeyStore } from './storage/remote-keys.js';
import { federationPath, FederationHttpClient } from './transport/client.js';
import { listenerTls, trustedCas } from './transport/tls.js';
import { SERVER_SOFTWARE } from './version.js';

export interface FederationDeps {
  db: Knex;
  log: Logger;
  serverName: string;
  signingKey: ServerSigningKey;
  config: FederationConfig;
  registry?: Registry | undefined;
  /** Tests replace DNS SRV lookups. */
  srvLookup?: SrvLookup;
}

export interface FederationComponent extends Component {
  readonly api: FederationApi;
  /** Certificate and key for the federation listener; undefined when none is configured. */
  listenerTls(): SecureContextOptions | undefined;
}

const PRUNE_INTERVAL_MS = 3600_000;

/** Server keys, discovery, request signing and checking, the outbound queue and inbound transactions. */
export function createFederation(deps: FederationDeps): FederationComponent {
  const { config, log, serverName, signingKey } = deps;
  const ca = trustedCas(config.extraCaPath);
  const keyDocument = new KeyDocumentCache(serverName, signingKey);
  // Other servers are never reached at loopback, private or reserved addresses unless allowed.
  const ipGuard = new IpGuard(config.ipRangeAllowlist);
  const wellKnown = new WellKnownFetcher({ ca, timeoutMs: 10_000, ipGuard });
  const resolver = new ServerResolver({ override: config.resolveOverride, srv: deps.srvLookup ?? systemSrvLookup, wellKnown: (h) => wellKnown.fetch(h) });
  const client = new FederationHttpClient({
    serverName,
    signingKey,
    resolve: (name) => resolver.resolve(name),
    ca,
    requestTimeoutMs: config.requestTimeoutMs,
    maxResponseBytes: config.maxResponseBytes,
    maxConnectionsPerDestination: config.maxConnectionsPerDestination,
    userAgent: `${SERVER_SOFTWARE.name}/${SERVER_SOFTWARE.version}`,
    ipGuard,
  });
  const remoteKeys = new RemoteKeyStore(deps.db);
  const source = new RemoteKeySource({ client, notaries: config.trustedKeyServers, log, notaryKeys: (notary, keyIds) => notaryKeys(notary, keyIds) });
  const ring = new KeyRing({ serverName, ownKeys: () => keyDocument.ownKeys(), store: remoteKeys, source, log });
  // A notary's own keys come from the notary itself, through the ring like any other server's.
  async function notaryKeys(notary: string, keyIds: readonly string[]): Promise<Map<string, string>> {
    const now = Date.now();
    const found = await Promise.all(keyIds.map(async (id) => [id, await ring.verifyKey(notary, id, now)] as const));
    return new Map(found.filter((e): e is readonly [string, string] => e[1] !== undefined));
  }
  const notary = new Notary({ serverName, signingKey, ownDocument: () => keyDocument.current(), store: remoteKeys, keyRing: ring, log });

  const queue = new OutboundQueue({
    db: deps.db,
    serverName,
    retry: config.retry,
    log,
    registry: deps.registry,
    async send(destination, txn, signal) {
      const body: Record<string, unknown> = { origin: serverName, origin_server_ts: Date.now(), pdus: txn.pdus };
      if (txn.edus.length > 0) body['edus'] = txn.edus;
      const res = await client.requestJson(destination, { method: 'PUT', path: federationPath`/_matrix/federation/v1/send/${txn.txnId}`, body, signal });
      const rejected = Object.entries((res['pdus'] ?? {}) as Record<string, { error?: unknown }>).filter(([, r]) => r?.error !== undefined);
      if (rejected.length > 0) log.debug({ destination, txnId: txn.txnId, rejected: rejected.slice(0, 10) }, 'destination rejected some PDUs');
    },
  });
  const authenticator = new RequestAuthenticator({ serverName, keyRing: ring, onAuthenticated: (origin) => queue.peerIsUp(origin) });
  const serverAuth = requireServerAuth(authenticator);
  const txnStore = new InboundTxnStore(deps.db);
  const edus = new EduHandlers(log);
  const receiver = new TransactionReceiver({ store: txnStore, edus, log });
  let pruneTimer: NodeJS.Timeout | undefined;
  const prune = (): void => {
    txnStore.prune(Date.now() - TXN_RECORD_MS).catch((err: unknown) => log.warn({ err }, 'pruning received transactions failed'));
  };

  const api: FederationApi = {
    serverName,
    client,
    resolveServer: (name) => resolver.resolve(name),
    verifySignatures: (items) => ring.verifySignatures(items),
    signatureBatch: (expected) => ring.batch(expected),
    enqueuePdu: (eventId, pdu, destinations, options) => queue.enqueuePdu(eventId, pdu, destinations, options),
    enqueueEdu: (edu, destinations, options) => queue.enqueueEdu(edu, destinations, options),
    lastQueuedPosition: () => queue.lastQueuedPosition(),
    setInboundPduHandler: (handler) => receiver.setPduHandler(handler),
    registerEduHandler: (type, handler) => edus.register(type, handler),
    setServerAclCheck: (check) => receiver.setAclCheck(check),
    requireServerAuth: serverAuth,
    requireServerAcl: (roomIdOf) => requireServerAcl(() => receiver.acl(), roomIdOf),
    async authenticateRequest(request) {
      const header = request.headers['authorization'];
      const origin = await authenticator.authenticate({ method: request.method, uri: request.uri, authorization: Array.isArray(header) ? header[0] : header, content: request.content });
      return { origin };
    },
  };

  return {
    name: 'federation',
    api,
    listenerTls: () => (config.tls ? listenerTls(config.tls) : undefined),
    routes(router: Router) {
      wellKnownServerRoutes(router, config.publicServer);
    },
    federationRoutes(router: Router) {
      keyServerRoutes(router, keyDocument);
      keyQueryRoutes(router, notary);
      versionRoutes(router);
      sendRoutes(router, serverAuth, receiver);
    },
    async start() {
      keyDocument.setOldKeys(await listOldOwnKeys(deps.db));
      await queue.start();
      prune();
      pruneTimer = setInterval(prune, PRUNE_INTERVAL_MS);
      pruneTimer.unref();
    },
    async stop() {
      clearInterval(pruneTimer);
      await queue.stop();
      await Promise.all([client.close(), wellKnown.close()]);
    },
  };
}
