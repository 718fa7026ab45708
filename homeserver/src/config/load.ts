import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ConfigError, type Config } from './config.js';
import * as s from './settings.js';
import { MEDIA_SETTINGS, mediaConfig } from './media.js';
import { FEDERATION_SETTINGS, federationConfig } from './federation.js';

type Env = Record<string, string | undefined>;

const JWT_ALGORITHMS = ['HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

function jwtAlgorithm(raw: unknown): string {
  const v = s.nonEmpty(raw);
  if (!JWT_ALGORITHMS.includes(v)) throw new Error(`must be one of ${JWT_ALGORITHMS.join(', ')} (got ${JSON.stringify(v)})`);
  return v;
}

/** A YAML list or a comma-separated string; empty means unset. */
function optionalList(raw: unknown): string[] | undefined {
  const items = Array.isArray(raw) ? raw.map((x) => s.nonEmpty(x)) : (s.optionalText(raw) ?? '').split(',').map((x) => x.trim()).filter(Boolean);
  return items.length > 0 ? items : undefined;
}

function rate(raw: unknown): number {
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
  if (!Number.isFinite(n) || n <= 0 || n > 1e6) throw new Error(`must be a number above 0 (got ${JSON.stringify(raw)})`);
  return n;
}

function optionalPath(p: string | undefined): string | undefined {
  return p === undefined ? undefined : path.resolve(p);
}

/** Every setting, by its path in the YAML file. Environment variables win over the file. */
const SETTINGS = {
  server_name: { env: 'HS_SERVER_NAME', parse: s.serverName, fallback: 'localhost' },
  public_baseurl: { env: 'HS_PUBLIC_BASEURL', parse: s.httpUrl, fallback: undefined },
  'listen.bind': { env: 'HS_BIND', parse: s.bindAddress, fallback: '127.0.0.1' },
  'listen.port': { env: 'HS_PORT', parse: s.integer(0, 65535), fallback: 8008 },
  'database.url': { env: 'DATABASE_URL', parse: s.databaseUrl, fallback: undefined },
  'database.pool_max': { env: 'HS_DATABASE_POOL_MAX', parse: s.integer(1, 1000), fallback: 10 },
  data_dir: { env: 'HS_DATA_DIR', parse: s.nonEmpty, fallback: './data' },
  signing_key_path: { env: 'HS_SIGNING_KEY_PATH', parse: s.optionalText, fallback: undefined },
  'registration.open': { env: 'HS_OPEN_REGISTRATION', parse: s.boolean, fallback: false },
  'registration.shared_secret': { env: 'HS_REGISTRATION_SHARED_SECRET', parse: s.sharedSecret, fallback: undefined },
  'auth.access_token_lifetime_ms': { env: 'HS_ACCESS_TOKEN_LIFETIME_MS', parse: s.integer(10_000, 30 * 24 * 3600_000), fallback: 300_000 },
  'jwt.secret': { env: 'HS_JWT_SECRET', parse: s.optionalText, fallback: undefined },
  'jwt.algorithm': { env: 'HS_JWT_ALGORITHM', parse: jwtAlgorithm, fallback: 'HS256' },
  'jwt.issuer': { env: 'HS_JWT_ISSUER', parse: s.optionalText, fallback: undefined },
  'jwt.audiences': { env: 'HS_JWT_AUDIENCES', parse: optionalList, fallback: undefined },
  'jwt.subject_claim': { env: 'HS_JWT_SUBJECT_CLAIM', parse: s.nonEmpty, fallback: 'sub' },
  'rate_limits.register_per_second': { env: 'HS_RATE_LIMIT_REGISTER_PER_SECOND', parse: rate, fallback: 0.17 },
  'rate_limits.register_burst': { env: 'HS_RATE_LIMIT_REGISTER_BURST', parse: s.integer(1, 1_000_000), fallback: 5 },
  'rate_limits.login_per_second': { env: 'HS_RATE_LIMIT_LOGIN_PER_SECOND', parse: rate, fallback: 0.17 },
  'rate_limits.login_burst': { env: 'HS_RATE_LIMIT_LOGIN_BURST', parse: s.integer(1, 1_000_000), fallback: 5 },
  'presence.enabled': { env: 'HS_PRESENCE_ENABLED', parse: s.boolean, fallback: true },
  'presence.offline_after_ms': { env: 'HS_PRESENCE_OFFLINE_AFTER_MS', parse: s.integer(1000, 24 * 3600_000), fallback: 60_000 },
  'websocket.max_buffered_bytes': { env: 'HS_WS_MAX_BUFFERED_BYTES', parse: s.integer(64 * 1024, 1024 * 1024 * 1024), fallback: 4 * 1024 * 1024 },
  'websocket.heartbeat_ms': { env: 'HS_WS_HEARTBEAT_MS', parse: s.integer(1000, 600_000), fallback: 30_000 },
  'websocket.auth_timeout_ms': { env: 'HS_WS_AUTH_TIMEOUT_MS', parse: s.integer(100, 600_000), fallback: 10_000 },
  'log.level': { env: 'HS_LOG_LEVEL', parse: s.logLevel, fallback: 'info' },
  'metrics.bind': { env: 'HS_METRICS_BIND', parse: s.bindAddress, fallback: '127.0.0.1' },
  'metrics.port': { env: 'HS_METRICS_PORT', parse: s.optionalPort, fallback: undefined },
  'limits.max_json_body_bytes': { env: 'HS_MAX_JSON_BODY_BYTES', parse: s.integer(65536, 64 * 1024 * 1024), fallback: 1024 * 1024 },
  'shutdown.grace_ms': { env: 'HS_SHUTDOWN_GRACE_MS', parse: s.integer(0, 600_000), fallback: 10_000 },
  ...MEDIA_SETTINGS,
  ...FEDERATION_SETTINGS,
  'webclient.enabled': { env: 'HS_WEBCLIENT_ENABLED', parse: s.boolean, fallback: true },
  'webclient.dir': { env: 'HS_WEBCLIENT_DIR', parse: s.optionalText, fallback: undefined },
} as const;

type Key = keyof typeof SETTINGS;
type Value<K extends Key> = ReturnType<(typeof SETTINGS)[K]['parse']>;

/** Flattens the YAML mapping into dotted paths, refusing keys we do not know (typos must not pass silently). */
function flatten(doc: unknown, file: string): Map<string, unknown> {
  const out = new Map<string, unknown>();
  const known = new Set<string>(Object.keys(SETTINGS));
  const sections = new Set([...known].filter((k) => k.includes('.')).map((k) => k.split('.')[0]!));
  const walk = (node: unknown, prefix: string): void => {
    if (node === null || node === undefined) return;
    if (typeof node !== 'object' || Array.isArray(node)) {
      throw new ConfigError(prefix || file, 'must be a mapping');
    }
    for (const [k, v] of Object.entries(node)) {
      const key = prefix ? `${prefix}.${k}` : k;
      if (known.has(key)) out.set(key, v);
      else if (!prefix && sections.has(k)) walk(v, key);
      else throw new ConfigError(key, `is not a known setting (in ${file})`);
    }
  };
  walk(doc, '');
  return out;
}

function readYaml(file: string): Map<string, unknown> {
  let textContent: string;
  try {
    textContent = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError('--config', `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(textContent);
  } catch (err) {
    throw new ConfigError('--config', `${file} is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  return flatten(doc, file);
}

/**
 * Builds the configuration from an optional YAML file and the environment. Throws ConfigError
 * naming the first bad key (the environment variable when the value came from there).
 */
export function loadConfig(options: { file?: string | undefined; env?: Env } = {}): Config {
  const env = options.env ?? process.env;
  const fromFile = options.file ? readYaml(options.file) : new Map<string, unknown>();
  const get = <K extends Key>(key: K): Value<K> => {
    const setting = SETTINGS[key];
    const envValue = env[setting.env];
    const [raw, name] = envValue !== undefined ? [envValue, setting.env] : fromFile.has(key) ? [fromFile.get(key), key] : [undefined, key];
    if (raw === undefined) return setting.fallback as Value<K>;
    try {
      return setting.parse(raw) as Value<K>;
    } catch (err) {
      throw new ConfigError(name, (err as Error).message);
    }
  };

  const dataDir = path.resolve(get('data_dir'));
  const bind = get('listen.bind');
  const port = get('listen.port');
  const host = bind.includes(':') ? `[${bind}]` : bind === '0.0.0.0' ? '127.0.0.1' : bind;
  return {
    serverName: get('server_name'),
    publicBaseUrl: get('public_baseurl') ?? `http://${host === '127.0.0.1' ? 'localhost' : host}:${port}/`,
    listen: { bind, port },
    database: { url: get('database.url'), poolMax: get('database.pool_max') },
    dataDir,
    signingKeyPath: path.resolve(dataDir, get('signing_key_path') ?? 'signing.key'),
    registration: { open: get('registration.open'), sharedSecret: get('registration.shared_secret') },
    auth: { refreshableAccessTokenLifetimeMs: get('auth.access_token_lifetime_ms') },
    jwt: {
      secret: get('jwt.secret'),
      algorithm: get('jwt.algorithm'),
      issuer: get('jwt.issuer'),
      audiences: get('jwt.audiences'),
      subjectClaim: get('jwt.subject_claim'),
    },
    rateLimits: {
      register: { perSecond: get('rate_limits.register_per_second'), burst: get('rate_limits.register_burst') },
      login: { perSecond: get('rate_limits.login_per_second'), burst: get('rate_limits.login_burst') },
    },
    presence: { enabled: get('presence.enabled'), offlineAfterMs: get('presence.offline_after_ms') },
    websocket: {
      maxBufferedBytes: get('websocket.max_buffered_bytes'),
      heartbeatMs: get('websocket.heartbeat_ms'),
      authTimeoutMs: get('websocket.auth_timeout_ms'),
    },
    log: { level: get('log.level') },
    metrics: { bind: get('metrics.bind'), port: get('metrics.port') },
    limits: { maxJsonBodyBytes: get('limits.max_json_body_bytes') },
    shutdown: { graceMs: get('shutdown.grace_ms') },
    media: mediaConfig(get, dataDir),
    federation: federationConfig(get),
    webclient: { enabled: get('webclient.enabled'), dir: optionalPath(get('webclient.dir')) },
  };
}

/** The environment variable of each setting, for documentation and tests. */
export const ENVIRONMENT_VARIABLES: ReadonlyArray<{ path: string; env: string }> = Object.entries(SETTINGS).map(
  ([p, v]) => ({ path: p, env: v.env }),
);
