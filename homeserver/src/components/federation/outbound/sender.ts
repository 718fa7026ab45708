import type { Logger } from '../../../log/logger.js';
import { FederationRequestError } from '../transport/errors.js';
import type { DestinationState, OutboundStore, OutboundTxn } from '../storage/outbound-queue.js';
import type { QueueMetrics } from './metrics.js';

/** Sends one transaction; resolves once the peer answered 200, throws otherwise. */
export type SendTransaction = (destination: string, txn: OutboundTxn, signal: AbortSignal) => Promise<void>;

export interface SenderDeps {
  destination: string;
  store: OutboundStore;
  send: SendTransaction;
  backoff(failures: number): number;
  now: () => number;
  log: Logger;
  metrics: QueueMetrics | undefined;
}

const SENDER_ERROR_RETRY_MS = 10_000;

/**
 * A refusal that retrying cannot fix: the peer read the transaction and rejected it as malformed or
 * too large. Anything else (no connection, 5xx, 429, 401 while it lacks our key, 404 from a proxy)
 * is retried with backoff.
 */
function isDefiniteRefusal(err: unknown): boolean {
  return err instanceof FederationRequestError && err.kind === 'http' && (err.status === 400 || err.status === 413);
}

/**
 * Delivers one destination's queue, one transaction at a time as the spec requires ("wait and
 * retry for a 200 OK response before sending a transaction with a different txnId"). After a
 * failure it waits out an exponential backoff; while catching up after an outage it sends only the
 * newest PDU of each room.
 */
export class DestinationSender {
  private state: DestinationState | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly abort = new AbortController();
  private stopped = false;
  /** A peerUp wake-up that came before the state was loaded. */
  private retryNow = false;

  constructor(private readonly deps: SenderDeps) {}

  /** New items are queued, or the peer showed signs of life (`peerUp`): send now unless backing off. */
  wake(peerUp = false): void {
    if (this.stopped) return;
    if (peerUp) {
      if (!this.state) this.retryNow = true;
      else if (this.state.failures > 0) this.state = { ...this.state, failures: 0, retryAt: 0 };
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.loop()
      .catch((err: unknown) => {
        // The database, most likely: the items are still queued, so try again in a while.
        this.deps.log.error({ err, destination: this.deps.destination }, 'federation sender failed');
        if (!this.stopped) this.schedule(this.deps.now() + SENDER_ERROR_RETRY_MS);
      })
      .finally(() => {
        this.running = undefined;
      });
  }

  /** Whether the destination is in backoff after failures. */
  get backingOff(): boolean {
    return this.state !== undefined && this.state.retryAt > this.deps.now();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.abort.abort();
    await this.running;
  }

  private async loop(): Promise<void> {
    if (!this.state) {
      const loaded = await this.deps.store.state(this.deps.destination);
      this.state = this.retryNow ? { ...loaded, failures: 0, retryAt: 0 } : loaded;
    }
    do {
      this.again = false;
      if (this.state.retryAt > this.deps.now()) {
        this.schedule(this.state.retryAt);
        return;
      }
      while (!this.stopped && (await this.sendNext())) {
        // Next transaction.
      }
    } while (this.again && !this.stopped && !this.backingOff);
  }

  /** Sends one transaction; true when the queue may hold more. */
  private async sendNext(): Promise<boolean> {
    const { destination, store } = this.deps;
    const state = this.state!;
    const txn = await store.nextTxn(destination, state.catchingUp);
    if (!txn) {
      if (state.catchingUp || state.failures > 0) await this.save({ failures: 0, retryAt: 0, catchingUp: false });
      return false;
    }
    try {
      await this.deps.send(destination, txn, this.abort.signal);
    } catch (err) {
      if (this.stopped) return false;
      if (isDefiniteRefusal(err)) {
        this.deps.log.warn({ destination, txnId: txn.txnId, err: (err as Error).message }, 'transaction refused by the destination; its items are dropped');
        await store.finishTxn(destination, txn.txnId);
        this.deps.metrics?.dropped();
        return true;
      }
      const failures = state.failures + 1;
      const retryAt = this.deps.now() + this.deps.backoff(failures);
      this.deps.log.info({ destination, txnId: txn.txnId, failures, retryInMs: retryAt - this.deps.now(), err: (err as Error).message }, 'transaction failed; backing off');
      this.deps.metrics?.failed();
      await this.save({ failures, retryAt, catchingUp: true });
      this.schedule(retryAt);
      return false;
    }
    await store.finishTxn(destination, txn.txnId);
    this.deps.metrics?.sent(txn.pdus.length, txn.edus.length);
    if (state.failures > 0 || state.retryAt > 0) await this.save({ ...state, failures: 0, retryAt: 0 }, true);
    return true;
  }

  private async save(state: DestinationState, succeeded = false): Promise<void> {
    this.state = state;
    await this.deps.store.saveState(this.deps.destination, state, succeeded);
  }

  private schedule(at: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.wake();
    }, Math.max(0, at - this.deps.now()));
    this.timer.unref();
  }
}
