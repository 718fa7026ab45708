import { isIP } from 'node:net';
import { Pool, type Dispatcher } from 'undici';
import { DeniedAddressError, guardedLookup, IpGuard } from '../../../util/ip-ranges.js';
import { xMatrixAuthorization } from '../auth/x-matrix.js';
import type { ResolvedServer } from '../discovery/resolver.js';
import type { ServerSigningKey } from '../signing-key.js';
import { classifyNetworkError, FederationRequestError } from './errors.js';

export type QueryValue = string | number | boolean | readonly string[] | undefined;

export interface FederationRequestOptions {
  method: 'GET' | 'PUT' | 'POST' | 'DELETE';
  /** Starts with `/_matrix/`; every parameter already percent-encoded (see `federationPath`). */
  path: string;
  query?: Record<string, QueryValue>;
  /** The JSON object body. PUT and POST always send one (`{}` when undefined), as the spec requires. */
  body?: object;
  timeoutMs?: number;
  maxResponseBytes?: number;
  signal?: AbortSignal;
}

export interface FederationRawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The body as it arrives; the caller enforces its own size limit. */
  body: AsyncIterable<Uint8Array>;
  /** Stops reading and releases the connection. */
  discard(): void;
}

/** Signed requests to other servers; discovery, TLS and pooling are handled inside. */
export interface FederationClient {
  /** A 2xx answer's JSON object; anything else throws FederationRequestError. */
  requestJson<T = Record<string, unknown>>(destination: string, options: FederationRequestOptions): Promise<T>;
  /**
   * Any answer, unread: for streamed bodies (media). Network failures throw FederationRequestError.
   * The timeout (`timeoutMs`, else the configured one) covers reading the body too.
   */
  requestRaw(destination: string, options: FederationRequestOptions): Promise<FederationRawResponse>;
}

/** Builds a path with each interpolated value percent-encoded: federationPath`/_matrix/federation/v1/send/${txnId}`. */
export function federationPath(strings: TemplateStringsArray, ...params: string[]): string {
  return strings.reduce((out, s, i) => out + s + (i < params.length ? encodeURIComponent(params[i]!) : ''), '');
}

export interface FederationHttpClientDeps {
  serverName: string;
  signingKey: ServerSigningKey;
  resolve(serverName: string): Promise<ResolvedServer>;
  /** Replaces the system CAs when set (see transport/tls.ts). */
  ca: string[] | undefined;
  requestTimeoutMs: number;
  maxResponseBytes: number;
  maxConnectionsPerDestination: number;
  userAgent: string;
  /**
   * Which addresses discovered servers may be reached at; the built-in deny list (loopback,
   * private and reserved ranges) when unset. Targets from `resolve_override` are not checked.
   */
  ipGuard?: IpGuard | undefined;
}

/** Pools kept at once; the least recently used is closed beyond this (its requests finish first). */
const MAX_POOLS = 512;
const CONNECT_TIMEOUT_MS = 10_000;

function queryString(query: Record<string, QueryValue> | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const item of v as readonly string[]) params.append(k, item);
    else params.append(k, String(v));
  }
  const s = params.toString();
  return s === '' ? '' : `?${s}`;
}

async function readLimited(body: AsyncIterable<Uint8Array> & { destroy(err?: Error): unknown }, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.byteLength;
    if (size > limit) {
      body.destroy();
      return undefined;
    }
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks, size);
}

/**
 * The outbound HTTP side of federation: resolves the destination, signs the request with X-Matrix,
 * and sends it over a pooled, verified TLS connection. Any client can name any server (a media
 * URI, a profile, a room alias, a join), and a server name's owner decides where it resolves, so
 * discovered addresses go through the IP guard: loopback, private and reserved ranges are refused
 * unless `federation.ip_range_allowlist` lets them through (a private federation). IP literals are
 * checked before connecting; host names at connect time, on the addresses the socket then uses.
 */
export class FederationHttpClient implements FederationClient {
  private readonly pools = new Map<string, Pool>();
  private closed = false;
  private readonly ipGuard: IpGuard;

  constructor(private readonly deps: FederationHttpClientDeps) {
    this.ipGuard = deps.ipGuard ?? new IpGuard();
  }

  async requestJson<T = Record<string, unknown>>(destination: string, options: FederationRequestOptions): Promise<T> {
    const limit = options.maxResponseBytes ?? this.deps.maxResponseBytes;
    const { res, timeout } = await this.send(destination, options);
    let raw: Buffer | undefined;
    try {
      raw = await readLimited(res.body, limit);
    } catch (err) {
      throw new FederationRequestError(classifyNetworkError(err, timeout.aborted), destination, `reading the answer failed: ${(err as Error).message}`, { cause: err });
    }
    if (raw === undefined) throw new FederationRequestError('too_large', destination, `answer larger than ${limit} bytes`, { status: res.statusCode });
    let body: unknown;
    try {
      body = raw.length === 0 ? undefined : JSON.parse(raw.toString('utf8'));
    } catch {
      body = undefined;
    }
    const isObject = typeof body === 'object' && body !== null && !Array.isArray(body);
    const status = res.statusCode;
    if (status < 200 || status >= 300) {
      const errcode = isObject && typeof (body as Record<string, unknown>)['errcode'] === 'string' ? ((body as Record<string, unknown>)['errcode'] as string) : undefined;
      throw new FederationRequestError('http', destination, `${options.method} ${options.path} answered ${status}${errcode ? ` ${errcode}` : ''}`, { status, errcode, body });
    }
    if (!isObject) throw new FederationRequestError('bad_response', destination, `${options.method} ${options.path} did not answer a JSON object`, { status });
    return body as T;
  }

  async requestRaw(destination: string, options: FederationRequestOptions): Promise<FederationRawResponse> {
    const { res } = await this.send(destination, options);
    return {
      status: res.statusCode,
      headers: res.headers,
      body: res.body,
      discard: () => {
        res.body.destroy();
      },
    };
  }

  private async send(destination: string, options: FederationRequestOptions): Promise<{ res: Dispatcher.ResponseData; timeout: AbortSignal }> {
    if (destination === this.deps.serverName) {
      throw new FederationRequestError('discovery', destination, 'federation requests to this server itself are a bug');
    }
    let target: ResolvedServer;
    try {
      target = await this.deps.resolve(destination);
    } catch (err) {
      throw new FederationRequestError('discovery', destination, `discovery failed: ${(err as Error).message}`, { cause: err });
    }
    // Refused like an unreachable server, so the outbound queue backs off and joins try others.
    if (!target.pinned && isIP(target.host) !== 0 && !this.ipGuard.isAllowed(target.host)) {
      throw new FederationRequestError('connect', destination, `${target.host} is in a denied address range (see federation.ip_range_allowlist)`);
    }
    const uri = options.path + queryString(options.query);
    const hasBody = options.method === 'PUT' || options.method === 'POST';
    const content = hasBody ? (options.body ?? {}) : undefined;
    const authorization = xMatrixAuthorization(
      { method: options.method, uri, origin: this.deps.serverName, destination, content },
      this.deps.signingKey.keyId,
      this.deps.signingKey.seed,
    );
    const timeout = AbortSignal.timeout(options.timeoutMs ?? this.deps.requestTimeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    const headers: Record<string, string> = {
      host: target.hostHeader,
      authorization,
      'user-agent': this.deps.userAgent,
      accept: 'application/json',
    };
    if (content !== undefined) headers['content-type'] = 'application/json';
    let res: Dispatcher.ResponseData;
    try {
      res = await this.pool(target).request({
        path: uri,
        method: options.method,
        headers,
        body: content === undefined ? undefined : JSON.stringify(content),
        signal,
      });
    } catch (err) {
      if (err instanceof DeniedAddressError) {
        throw new FederationRequestError('connect', destination, `${err.message} (see federation.ip_range_allowlist)`, { cause: err });
      }
      const kind = classifyNetworkError(err, timeout.aborted);
      throw new FederationRequestError(kind, destination, `${options.method} ${options.path} failed: ${(err as Error).message}`, { cause: err });
    }
    return { res, timeout };
  }

  async close(): Promise<void> {
    this.closed = true;
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((p) => p.destroy()));
  }

  private pool(target: ResolvedServer): Pool {
    if (this.closed) throw new Error('the federation client is closed');
    const key = `${target.host}|${target.port}|${target.tlsName ?? ''}${target.pinned ? '|pinned' : ''}`;
    let pool = this.pools.get(key);
    if (pool) {
      this.pools.delete(key);
      this.pools.set(key, pool);
      return pool;
    }
    const host = target.host.includes(':') ? `[${target.host}]` : target.host;
    pool = new Pool(`https://${host}:${target.port}`, {
      connections: this.deps.maxConnectionsPerDestination,
      connect: {
        ...(this.deps.ca ? { ca: this.deps.ca } : {}),
        // The certificate must name the server (or its delegate), which is also the SNI; for IP
        // literals Node checks the IP address against the certificate and sends no SNI.
        ...(target.tlsName !== undefined ? { servername: target.tlsName } : {}),
        rejectUnauthorized: true,
        timeout: CONNECT_TIMEOUT_MS,
        // Host names resolve here, keeping only allowed addresses (IP literals were checked in send).
        ...(target.pinned ? {} : { lookup: guardedLookup(this.ipGuard) }),
      },
      keepAliveTimeout: 30_000,
      keepAliveMaxTimeout: 120_000,
      // Each request's AbortSignal bounds the whole exchange; undici's per-phase timers would only
      // cut a long transfer that is still within it.
      headersTimeout: 0,
      bodyTimeout: 0,
    });
    this.pools.set(key, pool);
    if (this.pools.size > MAX_POOLS) {
      const [oldestKey, oldest] = this.pools.entries().next().value as [string, Pool];
      this.pools.delete(oldestKey);
      void oldest.close().catch(() => undefined);
    }
    return pool;
  }
}
