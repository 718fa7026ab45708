import type { MediaConfig } from './media.js';
import type { FederationConfig } from './federation.js';

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
  auth: {
    /** Lifetime of access tokens issued together with a refresh token; others do not expire. */
    refreshableAccessTokenLifetimeMs: number;
  };
  /** JSON Web Token login (`org.matrix.login.jwt`); off while `secret` is unset. */
  jwt: {
    /** The HMAC secret, or the PEM public key for asymmetric algorithms. */
    secret: string | undefined;
    algorithm: string;
    issuer: string | undefined;
    audiences: string[] | undefined;
    subjectClaim: string;
  };
  /** Token buckets per client IP address: `burst` requests at once, refilled at `perSecond`. */
  rateLimits: {
    register: RateLimitSetting;
    login: RateLimitSetting;
  };
  presence: {
    /** Off: presence is neither tracked nor shared. */
    enabled: boolean;
    /** A user whose clients stopped syncing for this long shows as offline. */
    offlineAfterMs: number;
  };
  websocket: {
    /** Bytes queued for one WebSocket sync client before it is dropped as too slow. */
    maxBufferedBytes: number;
    heartbeatMs: number;
    authTimeoutMs: number;
  };
  log: { level: LogLevel };
  metrics: { bind: string; port: number | undefined };
  limits: { maxJsonBodyBytes: number };
  shutdown: { graceMs: number };
  /** The media repository: uploads, thumbnails, URL previews (config/media.ts). */
  media: MediaConfig;
  /** The federation listener and outbound federation (config/federation.ts). */
  federation: FederationConfig;
  /** The built web client served at `/`; `dir` undefined means the `client/dist` beside the homeserver. */
  webclient: { enabled: boolean; dir: string | undefined };
}

export interface RateLimitSetting {
  perSecond: number;
  burst: number;
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
