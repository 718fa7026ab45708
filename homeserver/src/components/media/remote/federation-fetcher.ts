import type { Readable } from 'node:stream';
import { federationPath, FederationRequestError, type FederationClient, type FederationRawResponse } from '../../federation/api.js';
import { RemoteMediaError, type RemoteMedia, type RemoteMediaFetcher } from '../api.js';
import { FetchRefused, type GuardedResponse } from '../preview/guarded-fetch.js';
import { dispositionFilename, multipartBoundary, safeMediaType } from './header-params.js';
import { MultipartError, MultipartReader } from './multipart-reader.js';

/** The metadata part is an empty object today; anything this large is not metadata. */
const MAX_METADATA_BYTES = 64 * 1024;
/** Error answers are read for their errcode only. */
const MAX_ERROR_BYTES = 64 * 1024;

/** Plain HTTPS GETs of the URLs origins send us to, behind the SSRF guard (GuardedFetcher). */
export interface LocationFetcher {
  get(url: string, options: { signal: AbortSignal; accept: string }): Promise<GuardedResponse>;
}

interface FetchOptions {
  maxBytes: number;
  timeoutMs: number;
  signal: AbortSignal;
}

/**
 * Remote media from its origin server (Server-Server API "Content Repository"): the signed
 * `GET /_matrix/federation/v1/media/download/{mediaId}`, whose multipart/mixed answer carries
 * either the bytes or a `Location` to fetch them from with a plain HTTPS GET (private and
 * reserved addresses refused, redirects bounded, as for URL previews). Origins that do not know
 * the federation endpoint (404 M_UNRECOGNIZED) are asked with the deprecated
 * `/_matrix/media/v3/download/{serverName}/{mediaId}?allow_remote=false`, as the spec requires.
 * Bodies stream through, counted: past `maxBytes` the transfer stops ('too_large').
 */
export class FederationMediaFetcher implements RemoteMediaFetcher {
  constructor(
    private readonly client: FederationClient,
    private readonly location: LocationFetcher,
  ) {}

  async fetch(serverName: string, mediaId: string, options: FetchOptions): Promise<RemoteMedia> {
    const res = await this.request(serverName, federationPath`/_matrix/federation/v1/media/download/${mediaId}`, { timeout_ms: options.timeoutMs }, options);
    if (res.status === 200) return this.fromMultipart(serverName, res, options);
    const errcode = await errcodeOf(res);
    if (res.status === 404 && errcode === 'M_UNRECOGNIZED') return this.legacy(serverName, mediaId, options);
    throw failure(serverName, res.status, errcode);
  }

  /** Servers from before Matrix 1.11: the unauthenticated endpoint, never asking them to fetch further. */
  private async legacy(serverName: string, mediaId: string, options: FetchOptions): Promise<RemoteMedia> {
    const path = federationPath`/_matrix/media/v3/download/${serverName}/${mediaId}`;
    const res = await this.request(serverName, path, { allow_remote: 'false', timeout_ms: options.timeoutMs }, options);
    if (res.status !== 200) throw failure(serverName, res.status, await errcodeOf(res));
    const length = Number(header(res.headers, 'content-length') ?? NaN);
    if (Number.isSafeInteger(length) && length > options.maxBytes) {
      res.discard();
      throw tooLarge(serverName);
    }
    return {
      contentType: safeMediaType(header(res.headers, 'content-type')),
      filename: dispositionFilename(header(res.headers, 'content-disposition')),
      body: limited(res.body, options.maxBytes, serverName, () => res.discard()),
    };
  }

  private async fromMultipart(serverName: string, res: FederationRawResponse, options: FetchOptions): Promise<RemoteMedia> {
    const boundary = multipartBoundary(header(res.headers, 'content-type'));
    if (!boundary) {
      res.discard();
      throw new RemoteMediaError('unavailable', `${serverName} did not answer multipart/mixed`);
    }
    const reader = new MultipartReader(res.body, boundary);
    let content;
    try {
      const metadata = await reader.nextPart();
      if (!metadata) throw new MultipartError('no metadata part');
      const json = await readAll(metadata.body, MAX_METADATA_BYTES);
      if (!parseJsonObject(json)) throw new MultipartError('the metadata part is not a JSON object');
      content = await reader.nextPart();
      if (!content) throw new MultipartError('no content part');
    } catch (err) {
      res.discard();
      throw asRemoteError(serverName, err);
    }

    const location = content.headers.get('location');
    if (location !== undefined) {
      // The origin is done with: the bytes are elsewhere. Its URL is used once, never cached.
      res.discard();
      return this.follow(serverName, location, content.headers, options);
    }
    return {
      contentType: safeMediaType(content.headers.get('content-type')),
      filename: dispositionFilename(content.headers.get('content-disposition')),
      body: this.contentPart(serverName, content.body, reader, res, options.maxBytes),
    };
  }

  private async *contentPart(serverName: string, body: AsyncIterable<Buffer>, reader: MultipartReader, res: FederationRawResponse, maxBytes: number): AsyncGenerator<Buffer> {
    let reusable = false;
    try {
      yield* limited(body, maxBytes, serverName, () => {});
      // Only the closing delimiter should follow; anything else after complete content is ignored.
      reusable = (await reader.nextPart().catch(() => 'bad')) === undefined && (await reader.drain().catch(() => false));
    } finally {
      if (!reusable) res.discard();
    }
  }

  private async follow(serverName: string, location: string, part: Map<string, string>, options: FetchOptions): Promise<RemoteMedia> {
    let url: URL;
    try {
      url = new URL(location);
    } catch {
      throw new RemoteMediaError('unavailable', `${serverName} sent an invalid Location`);
    }
    let res: GuardedResponse;
    try {
      res = await this.location.get(url.href, { signal: options.signal, accept: '*/*' });
    } catch (err) {
      if (err instanceof FetchRefused) throw new RemoteMediaError('unavailable', `${serverName} sent us to ${url.host}: ${err.message}`);
      throw err;
    }
    if (res.status !== 200 || (res.contentLength !== undefined && res.contentLength > options.maxBytes)) {
      res.body.destroy();
      if (res.status === 404) throw new RemoteMediaError('not_found', `${url.host} answered 404`);
      if (res.status === 200) throw tooLarge(serverName);
      throw new RemoteMediaError('unavailable', `${url.host} answered ${res.status}`);
    }
    const body = res.body;
    return {
      // What the URL says of the media; what the origin said in the part is the fallback.
      contentType: safeMediaType(res.contentType) ?? safeMediaType(part.get('content-type')),
      filename: dispositionFilename(res.contentDisposition) ?? dispositionFilename(part.get('content-disposition')),
      body: limited(body as AsyncIterable<Buffer>, options.maxBytes, serverName, () => body.destroy()),
    };
  }

  private async request(serverName: string, path: string, query: Record<string, string | number>, options: FetchOptions): Promise<FederationRawResponse> {
    try {
      return await this.client.requestRaw(serverName, { method: 'GET', path, query, timeoutMs: options.timeoutMs, signal: options.signal });
    } catch (err) {
      if (err instanceof FederationRequestError) throw new RemoteMediaError('unavailable', err.message);
      throw err;
    }
  }
}

/** Passes chunks through, stopping (and releasing the connection) past `maxBytes`. */
async function* limited(body: AsyncIterable<Uint8Array> | Readable, maxBytes: number, serverName: string, release: () => void): AsyncGenerator<Buffer> {
  let size = 0;
  let done = false;
  try {
    for await (const chunk of body as AsyncIterable<Uint8Array>) {
      size += chunk.byteLength;
      if (size > maxBytes) throw tooLarge(serverName);
      yield Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    }
    done = true;
  } catch (err) {
    throw asRemoteError(serverName, err);
  } finally {
    if (!done) release();
  }
}

function asRemoteError(serverName: string, err: unknown): Error {
  if (err instanceof RemoteMediaError) return err;
  if (err instanceof MultipartError) return new RemoteMediaError('unavailable', `${serverName} sent a malformed multipart answer: ${err.message}`);
  return new RemoteMediaError('unavailable', `reading from ${serverName} failed: ${(err as Error).message}`);
}

function tooLarge(serverName: string): RemoteMediaError {
  return new RemoteMediaError('too_large', `the media on ${serverName} is larger than this server accepts`);
}

function failure(serverName: string, status: number, errcode: string | undefined): RemoteMediaError {
  const what = `${serverName} answered ${status}${errcode ? ` ${errcode}` : ''}`;
  if (status === 404) return new RemoteMediaError('not_found', what);
  if (errcode === 'M_TOO_LARGE') return new RemoteMediaError('too_large', what);
  return new RemoteMediaError('unavailable', what);
}

/** The errcode of an error answer, if it has one; the answer is consumed either way. */
async function errcodeOf(res: FederationRawResponse): Promise<string | undefined> {
  let bytes: Buffer;
  try {
    bytes = await readAll(res.body, MAX_ERROR_BYTES);
  } catch {
    res.discard();
    return undefined;
  }
  const body = parseJsonObject(bytes);
  return typeof body?.['errcode'] === 'string' ? body['errcode'] : undefined;
}

async function readAll(body: AsyncIterable<Uint8Array>, limit: number): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.byteLength;
    if (size > limit) throw new MultipartError(`more than ${limit} bytes where a small JSON object was expected`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}

function parseJsonObject(bytes: Buffer): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(bytes.toString('utf8'));
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}
