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

test('defaults: localhost on 127.0.0.1:8008, embedded database in ./data, registration closed', (t) => {
  const c = loadConfig({ env: {} });
  t.is(c.serverName, 'localhost');
  t.deepEqual(c.listen, { bind: '127.0.0.1', port: 8008 });
  t.is(c.database.url, undefined);
  t.is(c.dataDir, path.resolve('./data'));
  t.is(c.signingKeyPath, path.resolve('./data/signing.key'));
  t.false(c.registration.open);
  t.is(c.registration.sharedSecret, undefined);
  t.is(c.log.level, 'info');
  t.is(c.metrics.port, undefined);
  t.is(c.publicBaseUrl, 'http://localhost:8008/');
});

test('the YAML file sets values and the environment overrides them', (t) => {
  const file = yamlFile(`
server_name: example.org
listen:
  port: 9000
registration:
  open: true
  shared_secret: a-very-long-shared-secret
metrics:
  port: 9100
`);
  const fromFile = loadConfig({ file, env: {} });
  t.is(fromFile.serverName, 'example.org');
  t.is(fromFile.listen.port, 9000);
  t.true(fromFile.registration.open);
  t.is(fromFile.registration.sharedSecret, 'a-very-long-shared-secret');
  t.is(fromFile.metrics.port, 9100);

  const overridden = loadConfig({
    file,
    env: { HS_SERVER_NAME: 'other.example', HS_PORT: '8010', HS_OPEN_REGISTRATION: '0', DATABASE_URL: 'postgres://u@db:5432/hearth', HS_LOG_LEVEL: 'WARN' },
  });
  t.is(overridden.serverName, 'other.example');
  t.is(overridden.listen.port, 8010);
  t.false(overridden.registration.open);
  t.is(overridden.database.url, 'postgres://u@db:5432/hearth');
  t.is(overridden.log.level, 'warn');
});

const bad: Array<[Record<string, string>, string, RegExp]> = [
  [{ HS_PORT: 'abc' }, 'HS_PORT', /whole number from 0 to 65535/],
  [{ HS_PORT: '70000' }, 'HS_PORT', /whole number/],
  [{ HS_SERVER_NAME: 'not a name!' }, 'HS_SERVER_NAME', /not a valid Matrix server name/],
  [{ HS_BIND: 'example.org' }, 'HS_BIND', /IPv4 or IPv6 address/],
  [{ DATABASE_URL: 'mysql://x@y/z' }, 'DATABASE_URL', /postgres:\/\//],
  [{ HS_OPEN_REGISTRATION: 'maybe' }, 'HS_OPEN_REGISTRATION', /true or false/],
  [{ HS_LOG_LEVEL: 'loud' }, 'HS_LOG_LEVEL', /one of fatal, error/],
  [{ HS_METRICS_PORT: '-1' }, 'HS_METRICS_PORT', /whole number/],
  [{ HS_REGISTRATION_SHARED_SECRET: 'short' }, 'HS_REGISTRATION_SHARED_SECRET', /at least 16/],
];
for (const [env, key, message] of bad) {
  test(`a bad ${key} (${JSON.stringify(env[key])}) is refused with the key named`, (t) => {
    const err = t.throws(() => loadConfig({ env }), { instanceOf: ConfigError });
    t.is(err?.key, key);
    t.regex(err?.message ?? '', message);
    t.true(err?.message.startsWith(`${key}: `));
  });
}

test('bad values in the file name their dotted key; unknown keys are refused', (t) => {
  const err = t.throws(() => loadConfig({ file: yamlFile('listen:\n  port: eighty\n'), env: {} }), { instanceOf: ConfigError });
  t.is(err?.key, 'listen.port');
  const typo = t.throws(() => loadConfig({ file: yamlFile('server_nmae: x\n'), env: {} }), { instanceOf: ConfigError });
  t.is(typo?.key, 'server_nmae');
  const nested = t.throws(() => loadConfig({ file: yamlFile('listen:\n  prot: 1\n'), env: {} }), { instanceOf: ConfigError });
  t.is(nested?.key, 'listen.prot');
});

test('an unreadable or invalid YAML file is a config error', (t) => {
  t.throws(() => loadConfig({ file: '/nonexistent/hearth.yaml', env: {} }), { instanceOf: ConfigError, message: /cannot read/ });
  t.throws(() => loadConfig({ file: yamlFile('listen: [unclosed\n'), env: {} }), { instanceOf: ConfigError, message: /not valid YAML/ });
});
