import path from 'node:path';
import { parseServerName } from '../core/ids.js';
import { ConfigError } from './config.js';
import * as s from './settings.js';

/** Where a server name is sent instead of what discovery would find (test networks only). */
export interface ResolveTarget {
  host: string;
  port: number;
}

/** Federation: the HTTPS listener other servers reach, and how we reach them (config/federation.ts). */
export interface FederationConfig {
  listen: { bind: string; port: number };
  /** Certificate chain and key (PEM files) of the federation listener; undefined: no listener. */
  tls: { certPath: string; keyPath: string } | undefined;
  /** A PEM file of CA certificates trusted in addition to the system's, for test networks. */
  extraCaPath: string | undefined;
  /** What our `/.well-known/matrix/server` answers (`m.server`); undefined: 404. */
  publicServer: string | undefined;
  /**
   * Server name → host:port, replacing discovery for those names. For test networks where several
   * servers share 127.0.0.1; certificates are still checked against the server name.
   */
  resolveOverride: Map<string, ResolveTarget>;
  /**
   * CIDRs other servers may be reached at despite the built-in deny list (loopback, private,
   * link-local and reserved ranges), for a federation on a private network. Override targets are
   * never checked.
   */
  ipRangeAllowlist: string[];
  /** Notary servers asked for keys a server does not serve itself. */
  trustedKeyServers: string[];
  requestTimeoutMs: number;
  maxResponseBytes: number;
  maxConnectionsPerDestination: number;
  /** Backoff of the outbound queue: first delay, doubled per failure up to the cap. */
  retry: { initialMs: number; maxMs: number };
  /**
   * Also answer federation and key requests on the client listener, for a reverse proxy that
   * terminates TLS and forwards port 443 (or 8448) there, as most deployments do.
   */
  onClientListener: boolean;
}

function hostPort(raw: string): ResolveTarget {
  const parsed = parseServerName(raw.trim());
  if (!parsed || parsed.port === undefined) throw new Error(`targets must be host:port (got ${JSON.stringify(raw)})`);
  return { host: parsed.host, port: parsed.port };
}

function serverNameKey(raw: string): string {
  const name = raw.trim();
  if (parseServerName(name) === null) throw new Error(`${JSON.stringify(name)} is not a server name`);
  return name;
}

/** A YAML mapping `{name: host:port}`, or `name=host:port,name2=host:port` from the environment. */
function resolveOverride(raw: unknown): Map<string, ResolveTarget> {
  const out = new Map<string, ResolveTarget>();
  if (raw === null || raw === undefined || raw === '') return out;
  if (typeof raw === 'object' && !Array.isArray(raw)) {
    for (const [name, target] of Object.entries(raw)) out.set(serverNameKey(name), hostPort(s.nonEmpty(target)));
    return out;
  }
  for (const item of s.nonEmpty(raw).split(',').map((x) => x.trim()).filter(Boolean)) {
    const eq = item.indexOf('=');
    if (eq < 0) throw new Error(`entries must look like name=host:port (got ${JSON.stringify(item)})`);
    out.set(serverNameKey(item.slice(0, eq)), hostPort(item.slice(eq + 1)));
  }
  return out;
}

function serverNames(raw: unknown): string[] {
  const items = Array.isArray(raw) ? raw.map((x) => s.nonEmpty(x)) : (s.optionalText(raw) ?? '').split(',').map((x) => x.trim()).filter(Boolean);
  return items.map(serverNameKey);
}

function optionalServerName(raw: unknown): string | undefined {
  const text = s.optionalText(raw);
  return text === undefined ? undefined : s.serverName(text);
}

/** The federation settings, merged into load.ts's table: YAML path → variable, parser, default. */
export const FEDERATION_SETTINGS = {
  'federation.bind': { env: 'HS_FEDERATION_BIND', parse: s.bindAddress, fallback: '0.0.0.0' },
  'federation.port': { env: 'HS_FEDERATION_PORT', parse: s.integer(0, 65535), fallback: 8448 },
  'federation.tls_cert_path': { env: 'HS_FEDERATION_TLS_CERT_PATH', parse: s.optionalText, fallback: undefined },
  'federation.tls_key_path': { env: 'HS_FEDERATION_TLS_KEY_PATH', parse: s.optionalText, fallback: undefined },
  'federation.extra_ca_path': { env: 'HS_FEDERATION_EXTRA_CA_PATH', parse: s.optionalText, fallback: undefined },
  'federation.public_server': { env: 'HS_FEDERATION_PUBLIC_SERVER', parse: optionalServerName, fallback: undefined },
  'federation.resolve_override': { env: 'HS_FEDERATION_RESOLVE_OVERRIDE', parse: resolveOverride, fallback: undefined },
  'federation.ip_range_allowlist': { env: 'HS_FEDERATION_IP_RANGE_ALLOWLIST', parse: s.cidrList, fallback: [] as string[] },
  'federation.trusted_key_servers': { env: 'HS_FEDERATION_TRUSTED_KEY_SERVERS', parse: serverNames, fallback: [] as string[] },
  'federation.request_timeout_ms': { env: 'HS_FEDERATION_REQUEST_TIMEOUT_MS', parse: s.integer(1000, 600_000), fallback: 60_000 },
  'federation.max_response_bytes': { env: 'HS_FEDERATION_MAX_RESPONSE_BYTES', parse: s.integer(65536, 2 * 1024 * 1024 * 1024), fallback: 100 * 1024 * 1024 },
  'federation.max_connections_per_destination': { env: 'HS_FEDERATION_MAX_CONNECTIONS_PER_DESTINATION', parse: s.integer(1, 256), fallback: 8 },
  'federation.retry_initial_ms': { env: 'HS_FEDERATION_RETRY_INITIAL_MS', parse: s.integer(10, 24 * 3600_000), fallback: 10_000 },
  'federation.on_client_listener': { env: 'HS_FEDERATION_ON_CLIENT_LISTENER', parse: s.boolean, fallback: true },
  'federation.retry_max_ms': { env: 'HS_FEDERATION_RETRY_MAX_MS', parse: s.integer(10, 7 * 24 * 3600_000), fallback: 3600_000 },
} as const;

type FederationKey = keyof typeof FEDERATION_SETTINGS;
type Getter = <K extends FederationKey>(key: K) => ReturnType<(typeof FEDERATION_SETTINGS)[K]['parse']>;

const resolved = (p: string | undefined): string | undefined => (p === undefined ? undefined : path.resolve(p));

export function federationConfig(get: Getter): FederationConfig {
  const certPath = resolved(get('federation.tls_cert_path'));
  const keyPath = resolved(get('federation.tls_key_path'));
  // One without the other is a half-finished setup, not a choice: say so instead of staying off.
  if ((certPath === undefined) !== (keyPath === undefined)) {
    const missing = certPath === undefined ? 'federation.tls_cert_path' : 'federation.tls_key_path';
    throw new ConfigError(missing, 'the federation listener needs both tls_cert_path and tls_key_path');
  }
  const initialMs = get('federation.retry_initial_ms');
  const maxMs = get('federation.retry_max_ms');
  if (maxMs < initialMs) throw new ConfigError('federation.retry_max_ms', 'must not be below federation.retry_initial_ms');
  return {
    listen: { bind: get('federation.bind'), port: get('federation.port') },
    tls: certPath !== undefined && keyPath !== undefined ? { certPath, keyPath } : undefined,
    extraCaPath: resolved(get('federation.extra_ca_path')),
    publicServer: get('federation.public_server'),
    resolveOverride: get('federation.resolve_override') ?? new Map(),
    ipRangeAllowlist: get('federation.ip_range_allowlist'),
    trustedKeyServers: get('federation.trusted_key_servers'),
    requestTimeoutMs: get('federation.request_timeout_ms'),
    maxResponseBytes: get('federation.max_response_bytes'),
    maxConnectionsPerDestination: get('federation.max_connections_per_destination'),
    retry: { initialMs, maxMs },
    onClientListener: get('federation.on_client_listener'),
  };
}
