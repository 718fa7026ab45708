/** The homeserver's settings after the YAML file and the environment have been applied. */
export interface Config {
  serverName: string;
  /** The URL clients reach us at; `.well-known/matrix/client` points at it. */
  publicBaseUrl: string;
  listen: { bind: string; port: number };
  database: {
    /** A postgres:// URL, or undefined for the embedded PGlite database in `dataDir`. */
    url: string | undefined;
    poolMax: number;
  };
  dataDir: string;
  /** The signing key file; made on first start when missing. */
  signingKeyPath: string;
  registration: { open: boolean; sharedSecret: string | undefined };
  log: { level: LogLevel };
  metrics: { bind: string; port: number | undefined };
  limits: { maxJsonBodyBytes: number };
  shutdown: { graceMs: number };
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** A setting that failed validation; start-up prints `key: message` and exits with code 2. */
export class ConfigError extends Error {
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(`${key}: ${message}`);
    this.name = 'ConfigError';
  }
}
