import test, { type ExecutionContext } from 'ava';
import type { LookupAddress } from 'node:dns';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { FederationRequestError } from '../../src/components/federation/api.js';
import { ServerResolver } from '../../src/components/federation/discovery/resolver.js';
import type { SrvRecord } from '../../src/components/federation/discovery/srv.js';
import { WellKnownFetcher } from '../../src/components/federation/discovery/well-known.js';
import { newSigningKey } from '../../src/components/federation/signing-key.js';
import { FederationHttpClient } from '../../src/components/federation/transport/client.js';
import type { ResolveTarget } from '../../src/config/federation.js';
import { loadConfig } from '../../src/config/load.js';
import { DeniedAddressError, guardedLookup, IpGuard, type AddressLookup } from '../../src/util/ip-ranges.js';
import { startFederation, testCa } from '../helpers/federation.js';

/**
 * Outbound federation never reaches loopback, private or reserved addresses that discovery (a
 * server name, its .well-known, its SRV records, its DNS) points at, unless
 * `federation.ip_range_allowlist` lets them through; `resolve_override` targets are trusted.
 * Fake servers listen on 127.0.0.1 with certificates from the test CA.
 */

const HOUR = 3600_000;
const ALLOW_LOOPBACK = { HS_FEDERATION_IP_RANGE_ALLOWLIST: '127.0.0.0/8' };

interface FakeServer {
  port: number;
  /** Paths asked, in order. */
  hits: string[];
}

/** An HTTPS server on 127.0.0.1 whose certificate names `name` (a DNS name or an IP address). */
async function fakeServer(t: ExecutionContext, name: string, handler?: (req: IncomingMessage, res: ServerResponse) => void): Promise<FakeServer> {
  const ca = await testCa();
  const { certPath, keyPath } = await ca.issue(name);
  const hits: string[] = [];
  const server = https.createServer({ cert: readFileSync(certPath), key: readFileSync(keyPath) }, (req, res) => {
    hits.push(req.url ?? '');
    if (handler) return handler(req, res);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ server: { name } }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  server.unref();
  return { port: (server.address() as AddressInfo).port, hits };
}

interface Discovery {
  wellKnown?: Record<string, string>;
  srv?: Record<string, SrvRecord[]>;
  override?: Record<string, ResolveTarget>;
}

/** A federation client whose discovery answers are stubbed and whose guard comes from `env`. */
async function clientWith(t: ExecutionContext, env: Record<string, string>, discovery: Discovery = {}): Promise<FederationHttpClient> {
  const ca = await testCa();
  const resolver = new ServerResolver({
    override: new Map(Object.entries(discovery.override ?? {})),
    wellKnown: async (host) => ({ server: discovery.wellKnown?.[host], ttlMs: HOUR }),
    srv: async (name) => discovery.srv?.[name] ?? [],
  });
  const client = new FederationHttpClient({
    serverName: 'us.test',
    signingKey: newSigningKey(),
    resolve: (name) => resolver.resolve(name),
    ca: [ca.pem],
    requestTimeoutMs: 5000,
    maxResponseBytes: 65536,
    maxConnectionsPerDestination: 2,
    userAgent: 'test',
    ipGuard: new IpGuard(loadConfig({ env }).federation.ipRangeAllowlist),
  });
  t.teardown(() => client.close());
  return client;
}

const version = (client: FederationHttpClient, destination: string): Promise<Record<string, unknown>> =>
  client.requestJson(destination, { method: 'GET', path: '/_matrix/federation/v1/version' });

async function refused(t: ExecutionContext, p: Promise<unknown>, what: string): Promise<void> {
  const err = await t.throwsAsync(p, { instanceOf: FederationRequestError }, what);
  t.is(err?.kind, 'connect', `${what}: ${err?.message}`);
  t.regex(err?.message ?? '', /denied/, what);
}

test('a server whose .well-known delegates to 127.0.0.1 is refused, and reached with the allowlist', async (t) => {
  const ip = await fakeServer(t, '127.0.0.1');
  const discovery = { wellKnown: { 'evil.test': `127.0.0.1:${ip.port}` } };
  await refused(t, version(await clientWith(t, {}, discovery), 'evil.test'), 'default');
  t.deepEqual(ip.hits, [], 'not even a connection was made');

  t.deepEqual(await version(await clientWith(t, ALLOW_LOOPBACK, discovery), 'evil.test'), { server: { name: '127.0.0.1' } });
  t.deepEqual(ip.hits, ['/_matrix/federation/v1/version']);
});

test('a server whose SRV target is a name resolving to loopback is refused at connect time, and reached with the allowlist', async (t) => {
  const named = await fakeServer(t, 'named.test');
  // localhost resolves through the system resolver, as any SRV target would.
  const discovery = { srv: { '_matrix-fed._tcp.named.test': [{ name: 'localhost', port: named.port, priority: 0, weight: 0 }] } };
  await refused(t, version(await clientWith(t, {}, discovery), 'named.test'), 'default');
  t.deepEqual(named.hits, []);

  t.deepEqual(await version(await clientWith(t, ALLOW_LOOPBACK, discovery), 'named.test'), { server: { name: 'named.test' } });
  t.is(named.hits.length, 1);
});

test('an IP literal server name in a denied range is refused before connecting', async (t) => {
  const ip = await fakeServer(t, '127.0.0.1');
  const client = await clientWith(t, {});
  await refused(t, version(client, `127.0.0.1:${ip.port}`), 'IPv4 loopback');
  await refused(t, version(client, '10.0.0.5:8448'), 'a private network');
  await refused(t, version(client, '169.254.169.254'), 'link-local (cloud metadata)');
  await refused(t, version(client, `[::1]:${ip.port}`), 'IPv6 loopback');
  await refused(t, version(client, `[::ffff:127.0.0.1]:${ip.port}`), 'IPv4-mapped loopback, dotted');
  await refused(t, version(client, `[::ffff:7f00:1]:${ip.port}`), 'IPv4-mapped loopback, hex');
  await refused(t, version(client, '[fd00::1]'), 'IPv6 unique local');
  t.deepEqual(ip.hits, []);

  t.deepEqual(await version(await clientWith(t, ALLOW_LOOPBACK), `127.0.0.1:${ip.port}`), { server: { name: '127.0.0.1' } });
});

test('IPv6 and IPv4-mapped targets from .well-known are refused too', async (t) => {
  const ip = await fakeServer(t, '127.0.0.1');
  const client = await clientWith(t, ALLOW_LOOPBACK, {
    wellKnown: { 'v6.test': `[::1]:${ip.port}`, 'mapped.test': `[::ffff:127.0.0.1]:${ip.port}`, 'mappedhex.test': `[0:0:0:0:0:ffff:7f00:1]:${ip.port}` },
  });
  // The IPv4 allowlist covers the mapped forms (they are the same addresses) but not ::1.
  await refused(t, version(client, 'v6.test'), '::1 is not in 127.0.0.0/8');
  const strict = await clientWith(t, {}, { wellKnown: { 'mapped.test': `[::ffff:127.0.0.1]:${ip.port}`, 'mappedhex.test': `[0:0:0:0:0:ffff:7f00:1]:${ip.port}` } });
  await refused(t, version(strict, 'mapped.test'), 'mapped, dotted');
  await refused(t, version(strict, 'mappedhex.test'), 'mapped, hex');
  t.deepEqual(ip.hits, []);
});

test('resolve_override targets are trusted: loopback without an allowlist', async (t) => {
  const named = await fakeServer(t, 'named.test');
  const client = await clientWith(t, {}, { override: { 'named.test': { host: '127.0.0.1', port: named.port } } });
  t.deepEqual(await version(client, 'named.test'), { server: { name: 'named.test' } });
  const byName = await clientWith(t, {}, { override: { 'named.test': { host: 'localhost', port: named.port } } });
  t.deepEqual(await version(byName, 'named.test'), { server: { name: 'named.test' } }, 'a host name as the target too');
});

test('the lookup keeps only allowed addresses and fails when none is left', async (t) => {
  const answers: Record<string, LookupAddress[]> = {
    'mixed.test': [
      { address: '10.0.0.1', family: 4 },
      { address: '::ffff:192.168.1.1', family: 6 },
      { address: '93.184.216.34', family: 4 },
      { address: '2606:2800:220:1::1', family: 6 },
    ],
    'private.test': [
      { address: '127.0.0.1', family: 4 },
      { address: '::1', family: 6 },
      { address: '::ffff:7f00:1', family: 6 },
    ],
    'empty.test': [],
  };
  const fake: AddressLookup = (hostname, _options, callback) => callback(null, answers[hostname] ?? []);
  const lookup = guardedLookup(new IpGuard(), fake);
  const ask = (hostname: string, all: boolean) =>
    new Promise<{ err: Error | null; address: unknown; family: number | undefined }>((resolve) => {
      lookup(hostname, { all }, (err, address, family) => resolve({ err, address, family }));
    });
  t.deepEqual((await ask('mixed.test', true)).address, [
    { address: '93.184.216.34', family: 4 },
    { address: '2606:2800:220:1::1', family: 6 },
  ]);
  const one = await ask('mixed.test', false);
  t.deepEqual([one.address, one.family], ['93.184.216.34', 4]);
  const denied = await ask('private.test', true);
  t.true(denied.err instanceof DeniedAddressError);
  t.regex(denied.err!.message, /private\.test resolves only to denied addresses/);
  t.is((await ask('empty.test', false)).err?.['code' as keyof Error], 'ENOTFOUND');
  const allowed = await new Promise<unknown>((resolve) => {
    guardedLookup(new IpGuard(['127.0.0.0/8']), fake)('private.test', { all: true }, (_err, address) => resolve(address));
  });
  t.deepEqual(allowed, [
    { address: '127.0.0.1', family: 4 },
    { address: '::ffff:7f00:1', family: 6 },
  ]);
});

test('.well-known is not fetched from denied addresses, redirects included', async (t) => {
  const ca = await testCa();
  const doc = (_req: IncomingMessage, res: ServerResponse): void => void res.writeHead(200).end(JSON.stringify({ 'm.server': 'matrix.example.org:443' }));
  const ip = await fakeServer(t, '127.0.0.1', doc);
  const local = await fakeServer(t, 'localhost', doc);
  const redirect = (to: string) => (_req: IncomingMessage, res: ServerResponse) => void res.writeHead(302, { location: to }).end();
  const toIp = await fakeServer(t, 'to-ip.test', redirect(`https://127.0.0.1:${ip.port}/.well-known/matrix/server`));
  const toName = await fakeServer(t, 'to-name.test', redirect(`https://localhost:${local.port}/.well-known/matrix/server`));
  const ports = new Map([['to-ip.test', toIp.port], ['to-name.test', toName.port]]);
  // connectTarget is the tests' stand-in for DNS of the first hop; the redirects are the point.
  const fetcher = (allow: string[]) => {
    const f = new WellKnownFetcher({ ca: [ca.pem], timeoutMs: 5000, ipGuard: new IpGuard(allow), connectTarget: (h) => (ports.has(h) ? { host: '127.0.0.1', port: ports.get(h)! } : undefined) });
    t.teardown(() => f.close());
    return f;
  };
  const strict = fetcher([]);
  t.deepEqual(await strict.fetch('to-ip.test'), { server: undefined, ttlMs: HOUR });
  t.deepEqual(await strict.fetch('to-name.test'), { server: undefined, ttlMs: HOUR });
  t.deepEqual([ip.hits, local.hits], [[], []]);

  const open = fetcher(['127.0.0.0/8']);
  t.is((await open.fetch('to-ip.test')).server, 'matrix.example.org:443');
  t.is((await open.fetch('to-name.test')).server, 'matrix.example.org:443');
});

test('a running server refuses loopback destinations unless HS_FEDERATION_IP_RANGE_ALLOWLIST allows them', async (t) => {
  const ip = await fakeServer(t, '127.0.0.1');
  const net = await startFederation(['strict.test', 'open.test'], (name) => ({ env: name === 'open.test' ? ALLOW_LOOPBACK : {} }));
  t.teardown(() => net.close());
  const strict = net.server('strict.test').hs.federation.client;
  const open = net.server('open.test').hs.federation.client;
  const get = { method: 'GET', path: '/_matrix/federation/v1/version' } as const;
  const err = await t.throwsAsync(strict.requestJson(`127.0.0.1:${ip.port}`, get), { instanceOf: FederationRequestError });
  t.is(err?.kind, 'connect');
  t.deepEqual(ip.hits, []);
  t.deepEqual(await open.requestJson(`127.0.0.1:${ip.port}`, get), { server: { name: '127.0.0.1' } });
  // The network's servers reach each other through resolve_override, on 127.0.0.1 all the same.
  const answer = await strict.requestJson<{ server: { name: string } }>('open.test', get);
  t.is(answer.server.name, 'Hearth');
});
