import { isIP } from 'node:net';
import { Agent, type Dispatcher } from 'undici';
import { parseServerName } from '../../../core/ids.js';
import { DeniedAddressError, guardedLookup, IpGuard } from '../../../util/ip-ranges.js';

/**
 * `GET https://<hostname>/.well-known/matrix/server` (server-server "Resolving server names",
 * step 3): follows redirects up to a limit without loops, accepts JSON whatever the content type,
 * and turns Cache-Control or Expires into how long the answer may be kept.
 */

export interface WellKnownAnswer {
  /** The valid `m.server` value, or undefined when the lookup failed in any way. */
  server: string | undefined;
  /** How long to keep this answer. */
  ttlMs: number;
}

const HOUR = 3600_000;
/** The spec's recommended default when the response says nothing. */
export const WELL_KNOWN_DEFAULT_TTL_MS = 24 * HOUR;
/** The spec's recommended ceiling. */
export const WELL_KNOWN_MAX_TTL_MS = 48 * HOUR;
/**
 * A floor of our own: with `no-store` or `max-age=0` every federation request would fetch the
 * document again; a few minutes still lets a changed delegation take effect quickly.
 */
export const WELL_KNOWN_MIN_TTL_MS = 5 * 60_000;
/** Failures are kept for the hour the spec recommends. */
export const WELL_KNOWN_ERROR_TTL_MS = HOUR;
const MAX_REDIRECTS = 5;
/** The document is one small object; a bigger answer is not one. */
const MAX_BYTES = 64 * 1024;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** Seconds from Cache-Control `max-age` (0 for no-store/no-cache) or Expires; undefined when neither says. */
export function cacheLifetimeMs(headers: Record<string, string | string[] | undefined>, now: number): number | undefined {
  const cc = [headers['cache-control']].flat().filter((v): v is string => typeof v === 'string').join(',').toLowerCase();
  const directives = cc.split(',').map((d) => d.trim());
  if (directives.includes('no-store') || directives.includes('no-cache')) return 0;
  for (const d of directives) {
    const m = /^max-age\s*=\s*"?(\d+)"?$/.exec(d);
    if (m) return Number(m[1]) * 1000;
  }
  const expires = [headers['expires']].flat()[0];
  if (typeof expires === 'string') {
    const at = Date.parse(expires);
    // RFC 9111 §5.3: an invalid date means already expired.
    return Number.isNaN(at) ? 0 : Math.max(0, at - now);
  }
  return undefined;
}

function clampTtl(ms: number | undefined): number {
  return Math.min(WELL_KNOWN_MAX_TTL_MS, Math.max(WELL_KNOWN_MIN_TTL_MS, ms ?? WELL_KNOWN_DEFAULT_TTL_MS));
}

export interface WellKnownFetcherOptions {
  /** CA certificates replacing the system's; undefined keeps the system's. */
  ca: string[] | undefined;
  timeoutMs: number;
  /**
   * Which addresses the document (and its redirects) may be fetched from; the built-in deny list
   * (loopback, private and reserved ranges) when unset.
   */
  ipGuard?: IpGuard | undefined;
  /**
   * Tests only: where to connect for a host name instead of DNS and port 443. The Host header and
   * the certificate check still use the host name.
   */
  connectTarget?: ((hostname: string) => { host: string; port: number } | undefined) | undefined;
  now?: () => number;
}

export class WellKnownFetcher {
  private readonly agent: Agent;
  private readonly now: () => number;
  private readonly ipGuard: IpGuard;

  constructor(private readonly options: WellKnownFetcherOptions) {
    this.ipGuard = options.ipGuard ?? new IpGuard();
    this.agent = new Agent({
      connect: { ...(options.ca ? { ca: options.ca } : {}), rejectUnauthorized: true, timeout: options.timeoutMs, lookup: guardedLookup(this.ipGuard) },
      connections: 4,
      keepAliveTimeout: 10_000,
    });
    this.now = options.now ?? Date.now;
  }

  async fetch(hostname: string): Promise<WellKnownAnswer> {
    const failure: WellKnownAnswer = { server: undefined, ttlMs: WELL_KNOWN_ERROR_TTL_MS };
    const seen = new Set<string>();
    let url = new URL(`https://${hostname.includes(':') ? `[${hostname}]` : hostname}/.well-known/matrix/server`);
    const signal = AbortSignal.timeout(this.options.timeoutMs);
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      if (url.protocol !== 'https:' || seen.has(url.href)) return failure;
      seen.add(url.href);
      let res: Dispatcher.ResponseData;
      try {
        res = await this.get(url, signal);
      } catch {
        return failure;
      }
      if (REDIRECTS.has(res.statusCode)) {
        res.body.resume();
        const location = res.headers['location'];
        if (typeof location !== 'string') return failure;
        try {
          url = new URL(location, url);
        } catch {
          return failure;
        }
        continue;
      }
      const ttl = cacheLifetimeMs(res.headers, this.now());
      if (res.statusCode !== 200) {
        res.body.resume();
        return failure;
      }
      const server = await readServer(res.body).catch(() => undefined);
      return server === undefined ? failure : { server, ttlMs: clampTtl(ttl) };
    }
    return failure;
  }

  close(): Promise<void> {
    return this.agent.close();
  }

  private get(url: URL, signal: AbortSignal): Promise<Dispatcher.ResponseData> {
    const hostname = url.hostname.replace(/^\[|\]$/g, '');
    const target = this.options.connectTarget?.(hostname);
    // Host names are checked by the agent's lookup; sockets do not look IP literals up.
    if (!target && isIP(hostname) !== 0 && !this.ipGuard.isAllowed(hostname)) {
      return Promise.reject(new DeniedAddressError(`${hostname} is in a denied address range`));
    }
    const origin = target ? `https://${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}` : url.origin;
    return this.agent.request({
      origin,
      path: url.pathname + url.search,
      method: 'GET',
      headers: { host: url.host, accept: 'application/json' },
      signal,
    });
  }
}

async function readServer(body: AsyncIterable<Buffer> & { destroy(): void }): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > MAX_BYTES) {
      body.destroy();
      return undefined;
    }
    chunks.push(chunk);
  }
  // Parsed as JSON whatever the Content-Type says, as the spec asks.
  const doc: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return undefined;
  const server = (doc as Record<string, unknown>)['m.server'];
  return typeof server === 'string' && parseServerName(server) !== null ? server : undefined;
}
