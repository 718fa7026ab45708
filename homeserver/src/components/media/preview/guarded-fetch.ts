import { lookup } from 'node:dns/promises';
import { isIP, type LookupFunction } from 'node:net';
import type { Readable } from 'node:stream';
import { Agent, request } from 'undici';
import type { IpGuard } from '../../../util/ip-ranges.js';

export interface ResolvedAddress {
  address: string;
  family: number;
}

/** Name resolution, replaceable in tests; the default asks the system resolver. */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

const systemResolver: Resolver = (hostname) => lookup(hostname, { all: true, verbatim: true });

/** A URL or an address the guard refuses, or a fetch that broke a limit. */
export class FetchRefused extends Error {
  constructor(
    readonly reason: 'blocked' | 'too_large' | 'bad_url' | 'failed',
    message: string,
  ) {
    super(message);
    this.name = 'FetchRefused';
  }
}

export interface GuardedResponse {
  url: URL;
  status: number;
  contentType: string;
  contentLength: number | undefined;
  contentDisposition: string | undefined;
  body: Readable;
}

export interface GuardedFetcherOptions {
  userAgent?: string;
  /** Refuses plain http, redirects included (media a remote server sends us to). */
  httpsOnly?: boolean;
  /** Replaces the system CAs (test networks). */
  ca?: string[] | undefined;
}

const MAX_REDIRECTS = 5;
const USER_AGENT = 'Hearth URL preview (Matrix homeserver)';

/**
 * Fetches a URL for a preview without letting it reach this server's own network. The host
 * name is resolved here, every address checked, and the connection made to the checked address
 * (the socket's lookup answers it, whatever DNS says a moment later), so rebinding a name to a
 * private address between check and connect does not work. Redirects are followed by hand, each
 * target checked the same way.
 */
export class GuardedFetcher {
  constructor(
    private readonly guard: IpGuard,
    private readonly resolve: Resolver = systemResolver,
    private readonly options: GuardedFetcherOptions = {},
  ) {}

  async get(rawUrl: string, options: { signal: AbortSignal; accept: string }): Promise<GuardedResponse> {
    const httpsOnly = this.options.httpsOnly ?? false;
    let url = parseHttpUrl(rawUrl, httpsOnly);
    for (let hop = 0; ; hop++) {
      const address = await this.pick(url);
      const agent = pinnedAgent(address, this.options.ca);
      let res;
      try {
        res = await request(url, {
          dispatcher: agent,
          method: 'GET',
          signal: options.signal,
          headers: { 'user-agent': this.options.userAgent ?? USER_AGENT, accept: options.accept, 'accept-language': 'en' },
        });
      } catch (err) {
        await agent.close().catch(() => {});
        if (options.signal.aborted) throw new FetchRefused('failed', 'timed out');
        throw new FetchRefused('failed', `could not fetch: ${(err as Error).message}`);
      }
      const body = res.body as unknown as Readable;
      // Callers destroy bodies they do not want (redirects, wrong types), which makes undici emit
      // an abort error; readers still see real errors through their iterator.
      body.on('error', () => {});
      body.once('close', () => void agent.close().catch(() => {}));
      const location = header(res.headers, 'location');
      if ([301, 302, 303, 307, 308].includes(res.statusCode) && location) {
        body.destroy();
        if (hop >= MAX_REDIRECTS) throw new FetchRefused('failed', 'too many redirects');
        url = parseHttpUrl(new URL(location, url).href, httpsOnly);
        continue;
      }
      const length = Number(header(res.headers, 'content-length') ?? NaN);
      return {
        url,
        status: res.statusCode,
        contentType: header(res.headers, 'content-type') ?? 'application/octet-stream',
        contentLength: Number.isSafeInteger(length) ? length : undefined,
        contentDisposition: header(res.headers, 'content-disposition'),
        body,
      };
    }
  }

  /** The address to connect to; refuses when any address of the name is off limits. */
  private async pick(url: URL): Promise<ResolvedAddress> {
    const host = url.hostname.replace(/^\[|\]$/g, '');
    let addresses: ResolvedAddress[];
    if (isIP(host)) addresses = [{ address: host, family: isIP(host) }];
    else {
      try {
        addresses = await this.resolve(host);
      } catch {
        throw new FetchRefused('failed', `could not resolve ${host}`);
      }
    }
    if (addresses.length === 0) throw new FetchRefused('failed', `could not resolve ${host}`);
    // All or nothing: a name with one public and one private address is refused, or the
    // connection could be steered to whichever the attacker wants.
    const bad = addresses.find((a) => !this.guard.isAllowed(a.address));
    if (bad) throw new FetchRefused('blocked', `${host} resolves to a blocked address`);
    return addresses[0]!;
  }
}

function parseHttpUrl(raw: string, httpsOnly: boolean): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new FetchRefused('bad_url', 'not a valid URL');
  }
  if (httpsOnly && url.protocol !== 'https:') throw new FetchRefused('bad_url', 'only https URLs are fetched');
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new FetchRefused('bad_url', 'only http and https URLs can be previewed');
  return url;
}

/** An agent whose every connection goes to `pinned`, whatever name it is asked for. */
function pinnedAgent(pinned: ResolvedAddress, ca: string[] | undefined): Agent {
  const pinnedLookup: LookupFunction = (_hostname, options, callback) => {
    if (options.all) callback(null, [{ address: pinned.address, family: pinned.family }]);
    else callback(null, pinned.address, pinned.family);
  };
  return new Agent({ connect: { lookup: pinnedLookup, ...(ca ? { ca } : {}) }, connections: 1, pipelining: 0 });
}

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Reads a body into memory, refusing more than `limit` bytes (HTML for OpenGraph). */
export async function readLimited(body: Readable, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      body.destroy();
      throw new FetchRefused('too_large', 'the page is too large');
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}
