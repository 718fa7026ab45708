import { MatrixError } from '../errors';
import type { SyncResponse } from '../types';
import { TransportUnavailable, type SyncTransport } from './transport';

export type SyncStatus = 'connecting' | 'live' | 'reconnecting' | 'stopped';

export interface SyncLoopOptions {
  /** In order of preference; a transport that is unavailable is dropped for the session. */
  transports: SyncTransport[];
  since: () => string | undefined;
  onSync: (res: SyncResponse) => Promise<void>;
  onStatus?: (status: SyncStatus, transport: SyncTransport['kind'] | undefined) => void;
  /** The access token was refused: the session is over. */
  onLoggedOut?: (err: MatrixError) => void;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

const sleepAbortable = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    });
  });

/**
 * Keeps sync running: the preferred transport first, falling back when it is unavailable, and
 * reconnecting with capped exponential backoff after failures. Stops on `stop()` or a refused token.
 */
export class SyncLoop {
  private readonly controller = new AbortController();
  private readonly transports: SyncTransport[];
  private done: Promise<void> | undefined;

  constructor(private readonly options: SyncLoopOptions) {
    this.transports = [...options.transports];
  }

  start(): Promise<void> {
    this.done ??= this.loop();
    return this.done;
  }

  stop(): void {
    this.controller.abort();
  }

  private async loop(): Promise<void> {
    const signal = this.controller.signal;
    const sleep = this.options.sleep ?? sleepAbortable;
    let failures = 0;
    this.options.onStatus?.('connecting', this.transports[0]?.kind);
    while (!signal.aborted && this.transports.length > 0) {
      const transport = this.transports[0]!;
      try {
        await transport.run(
          this.options.since(),
          async (res) => {
            failures = 0;
            await this.options.onSync(res);
            this.options.onStatus?.('live', transport.kind);
          },
          signal,
        );
      } catch (err) {
        if (signal.aborted) break;
        if (err instanceof MatrixError && err.isUnknownToken) {
          this.options.onLoggedOut?.(err);
          break;
        }
        if (err instanceof TransportUnavailable && this.transports.length > 1) {
          this.transports.shift();
          continue;
        }
        failures++;
        this.options.onStatus?.('reconnecting', transport.kind);
        const retryAfter = err instanceof MatrixError ? err.retryAfterMs : undefined;
        await sleep(retryAfter ?? Math.min(500 * 2 ** Math.min(failures, 6), 30_000), signal);
      }
    }
    this.options.onStatus?.('stopped', undefined);
  }
}
