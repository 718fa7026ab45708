import test, { type ExecutionContext } from 'ava';
import type { RequestListener } from 'node:http';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { ServerResolver, type ResolvedServer } from '../../src/components/federation/discovery/resolver.js';
import { pickSrvTarget, type SrvRecord } from '../../src/components/federation/discovery/srv.js';
import { cacheLifetimeMs, WellKnownFetcher, type WellKnownAnswer } from '../../src/components/federation/discovery/well-known.js';
import { testCa } from '../helpers/federation.js';

const HOUR = 3600_000;

/** A resolver with stubbed well-known and SRV answers that counts the lookups. */
function resolverWith(wk: Record<string, string | undefined>, srv: Record<string, SrvRecord[]>, clock = { now: 0 }) {
  const calls = { wellKnown: [] as string[], srv: [] as string[] };
  const resolver = new ServerResolver({
    override: new Map([['hs1.test', { host: '127.0.0.1', port: 9001 }]]),
    now: () => clock.now,
    async wellKnown(host): Promise<WellKnownAnswer> {
      calls.wellKnown.push(host);
      const server = wk[host];
      return server === undefined ? { server: undefined, ttlMs: HOUR } : { server, ttlMs: 24 * HOUR };
    },
    async srv(name) {
      calls.srv.push(name);
      return srv[name] ?? [];
    },
  });
  return { resolver, calls, clock };
}

const srvRecord = (name: string, port: number, priority = 10, weight = 5): SrvRecord => ({ name, port, priority, weight });

test('step 1: IP literals are used as they are, port 8448 by default, no SNI, Host is the server name', async (t) => {
  const { resolver, calls } = resolverWith({}, {});
  const expect = async (serverName: string, host: string, port: number): Promise<void> => {
    t.deepEqual(await resolver.resolve(serverName), { serverName, host, port, hostHeader: serverName, tlsName: undefined });
  };
  await expect('192.0.2.7', '192.0.2.7', 8448);
  await expect('192.0.2.7:1234', '192.0.2.7', 1234);
  await expect('[2001:db8::1]', '2001:db8::1', 8448);
  await expect('[2001:db8::1]:8008', '2001:db8::1', 8008);
  t.deepEqual(calls, { wellKnown: [], srv: [] });
});

test('step 2: a host name with an explicit port needs neither well-known nor SRV', async (t) => {
  const { resolver, calls } = resolverWith({}, {});
  t.deepEqual(await resolver.resolve('example.org:8449'), { serverName: 'example.org:8449', host: 'example.org', port: 8449, hostHeader: 'example.org:8449', tlsName: 'example.org' });
  t.deepEqual(calls, { wellKnown: [], srv: [] });
});

test('step 3: the delegated server of .well-known, in each of its forms', async (t) => {
  const { resolver } = resolverWith(
    {
      'ip.example': '192.0.2.9',
      'ipport.example': '[2001:db8::2]:4443',
      'hostport.example': 'matrix.hostport.example:443',
      'srv.example': 'matrix.srv.example',
      'legacy.example': 'matrix.legacy.example',
      'plain.example': 'matrix.plain.example',
    },
    {
      '_matrix-fed._tcp.matrix.srv.example': [srvRecord('fed1.srv.example', 8000)],
      '_matrix._tcp.matrix.legacy.example': [srvRecord('old.legacy.example', 8001)],
    },
  );
  const r = (name: string): Promise<Omit<ResolvedServer, 'serverName'>> => resolver.resolve(name).then(({ serverName: _, ...rest }) => rest);
  t.deepEqual(await r('ip.example'), { host: '192.0.2.9', port: 8448, hostHeader: '192.0.2.9', tlsName: undefined });
  t.deepEqual(await r('ipport.example'), { host: '2001:db8::2', port: 4443, hostHeader: '[2001:db8::2]:4443', tlsName: undefined });
  t.deepEqual(await r('hostport.example'), { host: 'matrix.hostport.example', port: 443, hostHeader: 'matrix.hostport.example:443', tlsName: 'matrix.hostport.example' });
  // 3.3: SRV of the delegated name; the certificate and Host stay the delegated name.
  t.deepEqual(await r('srv.example'), { host: 'fed1.srv.example', port: 8000, hostHeader: 'matrix.srv.example', tlsName: 'matrix.srv.example' });
  // 3.4: the deprecated _matrix._tcp when there is no _matrix-fed._tcp.
  t.deepEqual(await r('legacy.example'), { host: 'old.legacy.example', port: 8001, hostHeader: 'matrix.legacy.example', tlsName: 'matrix.legacy.example' });
  // 3.5: no SRV at all: the delegated name on 8448.
  t.deepEqual(await r('plain.example'), { host: 'matrix.plain.example', port: 8448, hostHeader: 'matrix.plain.example', tlsName: 'matrix.plain.example' });
});

test('steps 4-6: without .well-known, SRV of the server name (new, then deprecated), then port 8448', async (t) => {
  const { resolver, calls } = resolverWith(
    {},
    {
      '_matrix-fed._tcp.a.example': [srvRecord('fed.a.example', 7000)],
      '_matrix._tcp.a.example': [srvRecord('never.a.example', 7001)],
      '_matrix._tcp.b.example': [srvRecord('old.b.example', 7002)],
    },
  );
  t.deepEqual(await resolver.resolve('a.example'), { serverName: 'a.example', host: 'fed.a.example', port: 7000, hostHeader: 'a.example', tlsName: 'a.example' });
  t.deepEqual(await resolver.resolve('b.example'), { serverName: 'b.example', host: 'old.b.example', port: 7002, hostHeader: 'b.example', tlsName: 'b.example' });
  t.deepEqual(await resolver.resolve('c.example'), { serverName: 'c.example', host: 'c.example', port: 8448, hostHeader: 'c.example', tlsName: 'c.example' });
  t.false(calls.srv.includes('_matrix._tcp.a.example'), 'the deprecated record is only asked when the new one is missing');
});

test('results are cached: well-known for its lifetime, failures for an hour, SRV answers too', async (t) => {
  const { resolver, calls, clock } = resolverWith({ 'cached.example': 'matrix.cached.example:443' }, {});
  await resolver.resolve('cached.example');
  await resolver.resolve('cached.example');
  t.is(calls.wellKnown.length, 1);
  clock.now += 24 * HOUR + 1;
  await resolver.resolve('cached.example');
  t.is(calls.wellKnown.length, 2, 'asked again once the lifetime is over');

  await resolver.resolve('down.example');
  const srvAsked = calls.srv.length;
  clock.now += 59 * 60_000;
  await resolver.resolve('down.example');
  t.is(calls.wellKnown.filter((h) => h === 'down.example').length, 1, 'a failure is remembered for the hour');
  t.is(calls.srv.length, srvAsked, 'and so are the SRV answers');
  clock.now += 2 * 60_000;
  await resolver.resolve('down.example');
  t.is(calls.wellKnown.filter((h) => h === 'down.example').length, 2);
});

test('concurrent resolutions of one name share one lookup', async (t) => {
  const { resolver, calls } = resolverWith({ 'busy.example': 'matrix.busy.example:443' }, {});
  await Promise.all([resolver.resolve('busy.example'), resolver.resolve('busy.example'), resolver.resolve('busy.example')]);
  t.is(calls.wellKnown.length, 1);
});

test('resolve_override (test networks) wins over everything; the certificate must name the server', async (t) => {
  const { resolver, calls } = resolverWith({}, {});
  t.deepEqual(await resolver.resolve('hs1.test'), { serverName: 'hs1.test', host: '127.0.0.1', port: 9001, hostHeader: 'hs1.test', tlsName: 'hs1.test', pinned: true });
  t.deepEqual(calls, { wellKnown: [], srv: [] });
  await t.throwsAsync(resolver.resolve('not a name'), { message: /not a server name/ });
});

test('SRV selection: lowest priority first, weighted among equals; "." means unavailable', (t) => {
  const records = [srvRecord('low.example', 1, 20), srvRecord('a.example', 2, 10, 1), srvRecord('b.example', 3, 10, 3)];
  t.is(pickSrvTarget(records, () => 0)!.name, 'a.example');
  t.is(pickSrvTarget(records, () => 0.24)!.name, 'a.example');
  t.is(pickSrvTarget(records, () => 0.26)!.name, 'b.example');
  t.is(pickSrvTarget([], () => 0), undefined);
  t.throws(() => pickSrvTarget([srvRecord('.', 0)]), { message: /not available/ });
});

test('Cache-Control and Expires set the well-known lifetime', (t) => {
  const now = Date.parse('2025-01-01T00:00:00Z');
  t.is(cacheLifetimeMs({ 'cache-control': 'public, max-age=600' }, now), 600_000);
  t.is(cacheLifetimeMs({ 'cache-control': 'no-store' }, now), 0);
  t.is(cacheLifetimeMs({ expires: 'Wed, 01 Jan 2025 01:00:00 GMT' }, now), HOUR);
  t.is(cacheLifetimeMs({ expires: '0' }, now), 0);
  t.is(cacheLifetimeMs({}, now), undefined);
});

/** An HTTPS server on loopback answering like a web server in front of a Matrix server. */
async function httpsServer(t: ExecutionContext, name: string, handler: RequestListener, caLabel = 'main'): Promise<number> {
  const ca = await testCa(caLabel);
  const { certPath, keyPath } = await ca.issue(name);
  const server = https.createServer({ cert: readFileSync(certPath), key: readFileSync(keyPath) }, handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  server.unref();
  return (server.address() as AddressInfo).port;
}

test('.well-known is fetched over verified TLS, follows redirects, honours Cache-Control', async (t) => {
  const ca = await testCa();
  const hits: string[] = [];
  const ports = new Map<string, number>();
  ports.set(
    'wk.test',
    await httpsServer(t, 'wk.test', (req, res) => {
      hits.push(`wk.test ${req.headers.host} ${req.url}`);
      if (req.url === '/.well-known/matrix/server') {
        res.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'max-age=7200' });
        res.end(JSON.stringify({ 'm.server': 'matrix.wk.test:8449' }));
      } else if (req.url === '/loop') {
        res.writeHead(302, { location: 'https://redirect.test/.well-known/matrix/server' });
        res.end();
      } else {
        res.writeHead(404).end();
      }
    }),
  );
  ports.set(
    'redirect.test',
    await httpsServer(t, 'redirect.test', (req, res) => {
      hits.push(`redirect.test ${req.headers.host} ${req.url}`);
      const to = req.headers['x-loop'] ? 'https://wk.test/loop' : 'https://wk.test/.well-known/matrix/server';
      res.writeHead(301, { location: to });
      res.end();
    }),
  );
  const fetcher = new WellKnownFetcher({ ca: [ca.pem], timeoutMs: 5000, connectTarget: (h) => (ports.has(h) ? { host: '127.0.0.1', port: ports.get(h)! } : undefined) });
  t.teardown(() => fetcher.close());

  t.deepEqual(await fetcher.fetch('wk.test'), { server: 'matrix.wk.test:8449', ttlMs: 2 * HOUR });
  t.deepEqual(await fetcher.fetch('redirect.test'), { server: 'matrix.wk.test:8449', ttlMs: 2 * HOUR });
  t.true(hits.includes('redirect.test redirect.test /.well-known/matrix/server'));
  t.true(hits.includes('wk.test wk.test /.well-known/matrix/server'), 'the Host header (and SNI) name the host, not the address');
});

test('.well-known failures: loops, bad JSON, other statuses, untrusted certificates all fall through for an hour', async (t) => {
  const ca = await testCa();
  const ports = new Map<string, number>();
  const serve = async (name: string, handler: RequestListener, caLabel?: string) => ports.set(name, await httpsServer(t, name, handler, caLabel));
  await serve('loop-a.test', (_req, res) => res.writeHead(302, { location: 'https://loop-b.test/.well-known/matrix/server' }).end());
  await serve('loop-b.test', (_req, res) => res.writeHead(302, { location: 'https://loop-a.test/.well-known/matrix/server' }).end());
  await serve('badjson.test', (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"m.server": '));
  await serve('badname.test', (_req, res) => res.writeHead(200).end(JSON.stringify({ 'm.server': 'not a name' })));
  await serve('missing.test', (_req, res) => res.writeHead(404).end('{}'));
  await serve('plainhttp.test', (_req, res) => res.writeHead(301, { location: 'http://plainhttp.test/.well-known/matrix/server' }).end());
  await serve('rogue.test', (_req, res) => res.writeHead(200).end(JSON.stringify({ 'm.server': 'evil.test:443' })), 'rogue');
  const fetcher = new WellKnownFetcher({ ca: [ca.pem], timeoutMs: 5000, connectTarget: (h) => (ports.has(h) ? { host: '127.0.0.1', port: ports.get(h)! } : undefined) });
  t.teardown(() => fetcher.close());
  for (const name of ['loop-a.test', 'badjson.test', 'badname.test', 'missing.test', 'plainhttp.test', 'rogue.test']) {
    t.deepEqual(await fetcher.fetch(name), { server: undefined, ttlMs: HOUR }, name);
  }
});
