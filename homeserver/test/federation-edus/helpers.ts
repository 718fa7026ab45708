import { registerUser, type TestUser } from '../helpers/client.js';
import { federationRequest, signedBy, startFederation, type FederatedServer, type FederationNetwork } from '../helpers/federation.js';
import { requestJson, type TestServer } from '../helpers/server.js';

export { until } from '../helpers/federation.js';
export type { TestUser, FederatedServer, FederationNetwork };

export const C = '/_matrix/client/v3';
export const F = '/_matrix/federation/v1';
export const enc = encodeURIComponent;

/** Open registration without rate limits, so each test makes the users it needs. */
export function startServers(names: readonly string[] = ['hs1.test', 'hs2.test'], env: Record<string, string> = {}): Promise<FederationNetwork> {
  return startFederation(names, { env: { HS_OPEN_REGISTRATION: '1', HS_RATE_LIMIT_REGISTER_BURST: '10000', HS_RATE_LIMIT_LOGIN_BURST: '10000', ...env } });
}

/** The client API of a federated server, in the shape the client helpers take. */
export function clientApi(server: FederatedServer): TestServer {
  return {
    hs: server.hs,
    url: server.hs.url,
    database: server.database,
    dataDir: server.dataDir,
    request: (method, urlPath, body, headers) => requestJson(server.hs.url, method, urlPath, body, headers),
  };
}

let counter = 0;
/** A fresh user on `server` (localparts never repeat within a test process). */
export function newUser(server: FederatedServer, name: string): Promise<TestUser> {
  return registerUser(clientApi(server), `${name}${++counter}`);
}

/** A request to `to`'s federation listener, signed by `from` unless `signed` is false. */
export function federationCall(net: FederationNetwork, from: string, to: string, req: { method: string; path: string; body?: unknown; signed?: boolean }): Promise<{ status: number; body: any }> {
  const target = net.server(to);
  const authorization = req.signed === false ? undefined : signedBy(net.server(from), target, req);
  return federationRequest(target, net.ca, { method: req.method, path: req.path, body: req.body, ...(authorization ? { authorization } : {}) });
}

let txnCounter = 0;
/** Sends EDUs to `to` in a transaction signed by `from`, as its outbound queue would. */
export async function sendEdus(net: FederationNetwork, from: string, to: string, edus: Array<{ edu_type: string; content: unknown }>): Promise<void> {
  const path = `${F}/send/edu-test-${Date.now()}-${++txnCounter}`;
  const res = await federationCall(net, from, to, { method: 'PUT', path, body: { origin: from, origin_server_ts: Date.now(), pdus: [], edus } });
  if (res.status !== 200) throw new Error(`send: ${res.status} ${JSON.stringify(res.body)}`);
}

/** Incremental syncs from `since` until `check` finds what it wants in a response; answers that response. */
export async function syncUntil(user: TestUser, since: string | undefined, check: (body: any) => boolean, timeoutMs = 10_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  let token = since;
  for (;;) {
    const params = new URLSearchParams({ timeout: '1000', ...(token ? { since: token } : {}) });
    const res = await user.call('GET', `${C}/sync?${params}`);
    if (res.status !== 200) throw new Error(`sync: ${res.status} ${JSON.stringify(res.body)}`);
    if (check(res.body)) return res.body;
    token = res.body.next_batch as string;
    if (Date.now() > deadline) throw new Error('timed out waiting for a sync response');
  }
}
