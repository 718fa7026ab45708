import { ConnectionError, MatrixError } from './errors';

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  signal?: AbortSignal | undefined;
  /** Leave out the access token (login, register, discovery). */
  anonymous?: boolean;
  /** Rate-limited requests are retried this many times after the server's retry_after_ms. */
  maxRetries?: number;
}

export interface HttpClientOptions {
  baseUrl: string;
  accessToken?: string | undefined;
  fetch?: FetchLike;
  /** Waits between rate-limit retries; tests replace it to run instantly. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Called once when the server says the access token is no longer valid. */
  onUnknownToken?: () => void;
}

const abortable = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason instanceof Error ? signal.reason : new DOMException('Aborted', 'AbortError'));
    });
  });

/**
 * JSON over HTTP to one homeserver. Every non-2xx answer becomes a MatrixError; network failures
 * become ConnectionError; 429s are retried after the wait the server asks for (capped).
 */
export class HttpClient {
  readonly baseUrl: string;
  accessToken: string | undefined;
  private readonly fetchImpl: FetchLike;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  private readonly onUnknownToken: (() => void) | undefined;

  constructor(options: HttpClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.accessToken = options.accessToken;
    this.fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
    this.sleep = options.sleep ?? abortable;
    this.onUnknownToken = options.onUnknownToken;
  }

  url(urlPath: string, query?: RequestOptions['query']): string {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) qs.set(k, String(v));
    const q = qs.toString();
    return `${this.baseUrl}${urlPath}${q ? `?${q}` : ''}`;
  }

  async request<T>(method: string, urlPath: string, options: RequestOptions = {}): Promise<T> {
    const maxRetries = options.maxRetries ?? 3;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.once<T>(method, urlPath, options);
      } catch (err) {
        if (!(err instanceof MatrixError) || err.status !== 429 || attempt >= maxRetries) throw err;
        // A server that names no wait gets an exponential one; a huge wait is not worth blocking on.
        const wait = Math.min(err.retryAfterMs ?? 1000 * 2 ** attempt, 30_000);
        await this.sleep(wait, options.signal);
      }
    }
  }

  /**
   * A raw request: a Blob body out (uploads), a Blob back (downloads), with the same typed
   * errors. Media endpoints are authenticated, so <img src> cannot reach them directly.
   */
  async blob(method: string, urlPath: string, options: { query?: RequestOptions['query']; body?: Blob; contentType?: string; signal?: AbortSignal } = {}): Promise<Blob> {
    const headers: Record<string, string> = {};
    if (this.accessToken) headers.Authorization = `Bearer ${this.accessToken}`;
    if (options.body) headers['Content-Type'] = options.contentType || options.body.type || 'application/octet-stream';
    let res: Response;
    try {
      res = await this.fetchImpl(this.url(urlPath, options.query), { method, headers, body: options.body ?? null, signal: options.signal ?? null });
    } catch (err) {
      throw new ConnectionError(`${method} ${urlPath} failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    if (res.ok) return res.blob();
    let obj: Record<string, unknown> = {};
    try {
      obj = (await res.json()) as Record<string, unknown>;
    } catch {
      // Not JSON: the status says enough.
    }
    throw new MatrixError(res.status, typeof obj.errcode === 'string' ? obj.errcode : `HTTP_${res.status}`, typeof obj.error === 'string' ? obj.error : `${res.status} ${res.statusText}`.trim(), obj);
  }

  /**
   * Sends a Blob and reports how much of it went out (fetch cannot tell upload progress;
   * XMLHttpRequest can). Answers and errors are as for `blob`. Without XMLHttpRequest (Node
   * tests), falls back to fetch and reports only the end.
   */
  async upload(urlPath: string, options: { query?: RequestOptions['query']; body: Blob; onProgress?: (fraction: number) => void; signal?: AbortSignal }): Promise<Blob> {
    if (typeof XMLHttpRequest === 'undefined') {
      const res = await this.blob('POST', urlPath, { body: options.body, ...(options.query ? { query: options.query } : {}), ...(options.signal ? { signal: options.signal } : {}) });
      options.onProgress?.(1);
      return res;
    }
    const xhr = new XMLHttpRequest();
    xhr.open('POST', this.url(urlPath, options.query));
    xhr.responseType = 'blob';
    if (this.accessToken) xhr.setRequestHeader('Authorization', `Bearer ${this.accessToken}`);
    xhr.setRequestHeader('Content-Type', options.body.type || 'application/octet-stream');
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && e.total > 0) options.onProgress?.(e.loaded / e.total);
    };
    options.signal?.addEventListener('abort', () => xhr.abort());
    const res = await new Promise<Blob>((resolve, reject) => {
      xhr.onload = () => resolve(xhr.response as Blob);
      xhr.onerror = () => reject(new ConnectionError(`POST ${urlPath} failed`));
      xhr.onabort = () => reject(new DOMException('Aborted', 'AbortError'));
      xhr.send(options.body);
    });
    if (xhr.status >= 200 && xhr.status < 300) {
      options.onProgress?.(1);
      return res;
    }
    let obj: Record<string, unknown> = {};
    try {
      obj = JSON.parse(await res.text()) as Record<string, unknown>;
    } catch {
      // Not JSON: the status says enough.
    }
    throw new MatrixError(xhr.status, typeof obj.errcode === 'string' ? obj.errcode : `HTTP_${xhr.status}`, typeof obj.error === 'string' ? obj.error : `${xhr.status} ${xhr.statusText}`.trim(), obj);
  }

  private async once<T>(method: string, urlPath: string, options: RequestOptions): Promise<T> {
    const headers: Record<string, string> = {};
    if (options.body !== undefined) headers['Content-Type'] = 'application/json';
    if (!options.anonymous && this.accessToken) headers.Authorization = `Bearer ${this.accessToken}`;
    let res: Response;
    try {
      res = await this.fetchImpl(this.url(urlPath, options.query), {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: options.signal ?? null,
      });
    } catch (err) {
      if (err instanceof DOMException && err.name === 'AbortError') throw err;
      if (options.signal?.aborted) throw err;
      throw new ConnectionError(`${method} ${urlPath} failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    const text = await res.text();
    let body: unknown = undefined;
    if (text) {
      try {
        body = JSON.parse(text);
      } catch {
        if (res.ok) throw new MatrixError(res.status, 'M_NOT_JSON', 'The server answered with something that is not JSON');
      }
    }
    if (res.ok) return body as T;
    const obj = body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
    const errcode = typeof obj.errcode === 'string' ? obj.errcode : `HTTP_${res.status}`;
    const message = typeof obj.error === 'string' ? obj.error : `${res.status} ${res.statusText}`.trim();
    const error = new MatrixError(res.status, errcode, message, obj);
    if (res.status === 401 && error.isUnknownToken && !options.anonymous) this.onUnknownToken?.();
    throw error;
  }
}
