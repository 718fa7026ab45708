import { Agent, request, type Dispatcher } from 'undici';

export interface JsonResponse {
  status: number;
  /** Parsed JSON, the text when the body is not JSON, undefined when empty. */
  body: any;
}

export interface JsonRequest {
  method?: string;
  body?: unknown;
  headers?: Record<string, string>;
  dispatcher?: Dispatcher;
  /** Whole request, headers and body; a hung server fails the test instead of stalling it. */
  timeoutMs?: number;
}

/** One HTTP request with a JSON body and answer. */
export async function requestJson(url: string, req: JsonRequest = {}): Promise<JsonResponse> {
  const timeoutMs = req.timeoutMs ?? 30_000;
  const res = await request(url, {
    method: (req.method ?? 'GET') as Dispatcher.HttpMethod,
    headers: { ...(req.body !== undefined ? { 'content-type': 'application/json' } : {}), ...req.headers },
    body: req.body === undefined ? undefined : typeof req.body === 'string' ? req.body : JSON.stringify(req.body),
    signal: AbortSignal.timeout(timeoutMs),
    ...(req.dispatcher ? { dispatcher: req.dispatcher } : {}),
  });
  const text = await res.body.text();
  let body: unknown = text === '' ? undefined : text;
  try {
    if (text !== '') body = JSON.parse(text);
  } catch {
    // Not JSON: the caller sees the text.
  }
  return { status: res.statusCode, body };
}

/**
 * A dispatcher for a federation listener: trusts the run's CA and checks the certificate against
 * the server name while connecting to 127.0.0.1, as the servers themselves do.
 */
export function tlsAgent(caPem: string, serverName: string): Agent {
  return new Agent({ connect: { ca: caPem, servername: serverName } });
}
