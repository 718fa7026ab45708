import { stringify } from 'yaml';

/** Where one server of the network listens and keeps its data. */
export interface ServerLayout {
  serverName: string;
  clientPort: number;
  federationPort: number;
  dataDir: string;
  /** undefined: the embedded PGlite database in the data folder. */
  databaseUrl: string | undefined;
  tls: { certPath: string; keyPath: string };
  caPath: string;
  /** Every server of the network, this one included: name → federation port on 127.0.0.1. */
  peers: ReadonlyMap<string, number>;
  sharedSecret: string;
}

/**
 * Settings a scenario may change, as YAML paths (see deploy/homeserver.example.yaml), e.g.
 * `{ presence: { enabled: false } }` or `{ federation: { retry_initial_ms: 30000 } }`.
 */
export type ConfigOverrides = Record<string, unknown>;

function merge(base: Record<string, unknown>, extra: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(extra)) {
    const b = out[k];
    out[k] = b && v && typeof b === 'object' && typeof v === 'object' && !Array.isArray(v) ? merge(b as Record<string, unknown>, v as Record<string, unknown>) : v;
  }
  return out;
}

/** The YAML configuration file of one server. */
export function serverConfigYaml(layout: ServerLayout, overrides: ConfigOverrides = {}): string {
  const config: Record<string, unknown> = {
    server_name: layout.serverName,
    public_baseurl: `http://127.0.0.1:${layout.clientPort}/`,
    listen: { bind: '127.0.0.1', port: layout.clientPort },
    ...(layout.databaseUrl !== undefined ? { database: { url: layout.databaseUrl, pool_max: 5 } } : {}),
    data_dir: layout.dataDir,
    registration: { open: false, shared_secret: layout.sharedSecret },
    // Scenarios register and log in many users from one address in a few seconds.
    rate_limits: { register_per_second: 1000, register_burst: 10000, login_per_second: 1000, login_burst: 10000 },
    log: { level: process.env['HS_TEST_LOG_LEVEL'] ?? 'debug' },
    shutdown: { grace_ms: 3000 },
    webclient: { enabled: false },
    federation: {
      bind: '127.0.0.1',
      port: layout.federationPort,
      tls_cert_path: layout.tls.certPath,
      tls_key_path: layout.tls.keyPath,
      extra_ca_path: layout.caPath,
      // The names are not in DNS: every server is found through this table, certificates are
      // still checked against the name.
      resolve_override: Object.fromEntries([...layout.peers].map(([name, port]) => [name, `127.0.0.1:${port}`])),
      // Federation goes through the HTTPS listener only, so nothing passes over plain HTTP by mistake.
      on_client_listener: false,
      request_timeout_ms: 10_000,
      // A restarted peer is caught up within seconds rather than the production backoff's minutes.
      retry_initial_ms: 250,
      retry_max_ms: 2000,
    },
  };
  return stringify(merge(config, overrides));
}
