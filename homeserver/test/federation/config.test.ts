import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError } from '../../src/config/config.js';
import { loadConfig } from '../../src/config/load.js';

const yamlFile = (content: string): string => {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'hearth-config-')), 'homeserver.yaml');
  writeFileSync(file, content);
  return file;
};

test('federation defaults: port 8448, no listener without a certificate, no notaries, no overrides', (t) => {
  const f = loadConfig({ env: {} }).federation;
  t.deepEqual(f.listen, { bind: '0.0.0.0', port: 8448 });
  t.is(f.tls, undefined);
  t.is(f.extraCaPath, undefined);
  t.is(f.publicServer, undefined);
  t.deepEqual(f.trustedKeyServers, []);
  t.is(f.resolveOverride.size, 0);
  t.deepEqual(f.ipRangeAllowlist, []);
  t.deepEqual(loadConfig({ env: { HS_FEDERATION_IP_RANGE_ALLOWLIST: '10.0.0.0/8, fd00::/8' } }).federation.ipRangeAllowlist, ['10.0.0.0/8', 'fd00::/8']);
});

test('federation settings from YAML and from the environment', (t) => {
  const file = yamlFile(`
federation:
  tls_cert_path: /etc/hearth/cert.pem
  tls_key_path: /etc/hearth/key.pem
  port: 8449
  public_server: matrix.example.org:443
  trusted_key_servers: [matrix.org, notary.example]
  resolve_override:
    hs1.test: 127.0.0.1:8481
    "[::1]": "[::1]:8482"
`);
  const f = loadConfig({ file, env: {} }).federation;
  t.deepEqual(f.tls, { certPath: '/etc/hearth/cert.pem', keyPath: '/etc/hearth/key.pem' });
  t.is(f.listen.port, 8449);
  t.is(f.publicServer, 'matrix.example.org:443');
  t.deepEqual(f.trustedKeyServers, ['matrix.org', 'notary.example']);
  t.deepEqual([...f.resolveOverride], [['hs1.test', { host: '127.0.0.1', port: 8481 }], ['[::1]', { host: '::1', port: 8482 }]]);

  const e = loadConfig({ env: { HS_FEDERATION_RESOLVE_OVERRIDE: 'a.test=127.0.0.1:1, b.test=localhost:2', HS_FEDERATION_TRUSTED_KEY_SERVERS: 'x.example,y.example:8448' } }).federation;
  t.deepEqual([...e.resolveOverride], [['a.test', { host: '127.0.0.1', port: 1 }], ['b.test', { host: 'localhost', port: 2 }]]);
  t.deepEqual(e.trustedKeyServers, ['x.example', 'y.example:8448']);
});

const bad: Array<[Record<string, string>, string, RegExp]> = [
  [{ HS_FEDERATION_TLS_CERT_PATH: '/c.pem' }, 'federation.tls_key_path', /both/],
  [{ HS_FEDERATION_TLS_KEY_PATH: '/k.pem' }, 'federation.tls_cert_path', /both/],
  [{ HS_FEDERATION_RESOLVE_OVERRIDE: 'a.test=127.0.0.1' }, 'HS_FEDERATION_RESOLVE_OVERRIDE', /host:port/],
  [{ HS_FEDERATION_RESOLVE_OVERRIDE: 'a.test' }, 'HS_FEDERATION_RESOLVE_OVERRIDE', /name=host:port/],
  [{ HS_FEDERATION_TRUSTED_KEY_SERVERS: 'not a name' }, 'HS_FEDERATION_TRUSTED_KEY_SERVERS', /not a server name/],
  [{ HS_FEDERATION_PUBLIC_SERVER: 'https://matrix.example.org' }, 'HS_FEDERATION_PUBLIC_SERVER', /server name/],
  [{ HS_FEDERATION_RETRY_INITIAL_MS: '5000', HS_FEDERATION_RETRY_MAX_MS: '1000' }, 'federation.retry_max_ms', /below/],
  [{ HS_FEDERATION_IP_RANGE_ALLOWLIST: '10.0.0.0/33' }, 'HS_FEDERATION_IP_RANGE_ALLOWLIST', /CIDRs/],
];
for (const [env, key, message] of bad) {
  test(`a bad federation setting is refused: ${JSON.stringify(env)}`, (t) => {
    const err = t.throws(() => loadConfig({ env }), { instanceOf: ConfigError });
    t.is(err.key, key);
    t.regex(err.message, message);
  });
}

test('there is no setting that turns certificate verification off', (t) => {
  for (const key of ['tls_verify', 'verify_tls', 'reject_unauthorized', 'federation_verify_certificates', 'insecure']) {
    const err = t.throws(() => loadConfig({ file: yamlFile(`federation:\n  ${key}: false\n`), env: {} }), { instanceOf: ConfigError });
    t.regex(err.message, /not a known setting/);
  }
});
