import { MatrixError } from '../errors';
import type { SyncResponse } from '../types';
import { SYNC_FILTER, TransportUnavailable, type SyncTransport } from './transport';

export const WS_SYNC_PATH = '/_matrix/client/unstable/org.hearth.ws/sync';

/** The part of the browser's WebSocket we use; tests pass a fake. */
export interface WebSocketLike {
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export type WebSocketFactory = (url: string) => WebSocketLike;

export function wsUrl(baseUrl: string): string {
  return `${baseUrl.replace(/^http/i, 'ws').replace(/\/+$/, '')}${WS_SYNC_PATH}`;
}

/**
 * Hearth's WebSocket sync: one connection, every change pushed as a complete sync response.
 * Cheaper than long-polling (no request per change). Servers without it fail before the first
 * message, which the loop takes as "use long-polling".
 */
export class WebSocketTransport implements SyncTransport {
  readonly kind = 'websocket';

  constructor(
    private readonly baseUrl: string,
    private readonly accessToken: string,
    private readonly factory: WebSocketFactory = (url) => new WebSocket(url) as unknown as WebSocketLike,
  ) {}

  run(since: string | undefined, onSync: (res: SyncResponse) => Promise<void>, signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      let received = false;
      let settled = false;
      let queue = Promise.resolve();
      const ws = this.factory(wsUrl(this.baseUrl));
      const finish = (err?: Error): void => {
        if (settled) return;
        settled = true;
        signal.removeEventListener('abort', onAbort);
        // Responses already queued are still delivered before we report the end.
        void queue.then(() => (err ? reject(err) : resolve()));
      };
      const onAbort = (): void => {
        ws.close(1000, 'client stopping');
        finish();
      };
      signal.addEventListener('abort', onAbort);
      ws.onopen = () => {
        ws.send(JSON.stringify({ access_token: this.accessToken, ...(since ? { since } : {}), filter: SYNC_FILTER }));
      };
      ws.onmessage = (ev) => {
        let res: SyncResponse;
        try {
          res = JSON.parse(String(ev.data)) as SyncResponse;
        } catch {
          return;
        }
        if (typeof res.next_batch !== 'string') return;
        received = true;
        queue = queue
          .then(() => (settled ? undefined : onSync(res)))
          .then(() => {
            if (!settled) ws.send(JSON.stringify({ type: 'ack', since: res.next_batch }));
          })
          .catch((err: unknown) => {
            ws.close(1000, 'client error');
            finish(err instanceof Error ? err : new Error(String(err)));
          });
      };
      ws.onerror = () => {
        // onclose follows with the code; nothing to add here.
      };
      ws.onclose = (ev) => {
        if (signal.aborted) return finish();
        if (ev.code === 4001) {
          let body: Record<string, unknown> = {};
          try {
            body = JSON.parse(ev.reason) as Record<string, unknown>;
          } catch {
            // A reason that is not JSON still means the token was refused.
          }
          return finish(new MatrixError(401, typeof body.errcode === 'string' ? body.errcode : 'M_UNKNOWN_TOKEN', typeof body.error === 'string' ? body.error : 'Invalid access token', body));
        }
        finish(received ? new Error(`WebSocket sync closed (${ev.code})`) : new TransportUnavailable(`WebSocket sync unavailable (${ev.code})`));
      };
    });
  }
}
