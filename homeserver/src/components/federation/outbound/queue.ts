import type { Knex } from 'knex';
import type { Registry } from 'prom-client';
import { isValidServerName } from '../../../core/ids.js';
import type { JsonObject } from '../../../core/json.js';
import type { Logger } from '../../../log/logger.js';
import { OutboundStore } from '../storage/outbound-queue.js';
import { backoffDelay } from './backoff.js';
import { queueMetrics, type QueueMetrics } from './metrics.js';
import { DestinationSender, type SendTransaction } from './sender.js';

export interface OutboundQueueDeps {
  db: Knex;
  serverName: string;
  send: SendTransaction;
  retry: { initialMs: number; maxMs: number };
  log: Logger;
  registry?: Registry | undefined;
  now?: () => number;
}

export interface Edu {
  edu_type: string;
  content: JsonObject;
}

/**
 * The durable outbound queue (design principle 6): items are written to the database before this
 * returns, and leave it only when a destination acknowledged the transaction carrying them.
 */
export class OutboundQueue {
  private readonly store: OutboundStore;
  private readonly senders = new Map<string, DestinationSender>();
  private readonly metrics: QueueMetrics | undefined;
  private readonly now: () => number;
  private stopped = false;

  constructor(private readonly deps: OutboundQueueDeps) {
    this.now = deps.now ?? Date.now;
    this.store = new OutboundStore(deps.db, this.now);
    this.metrics = deps.registry ? queueMetrics(deps.registry, () => this.store.depthByDestination()) : undefined;
  }

  /** Resumes every destination that still has items, honouring a backoff in progress. */
  async start(): Promise<void> {
    for (const destination of await this.store.destinationsWithItems()) this.sender(destination).wake();
  }

  async enqueuePdu(eventId: string, pdu: JsonObject, destinations: Iterable<string>, options: { position?: number } = {}): Promise<void> {
    const targets = this.targets(destinations);
    if (targets.length === 0 && options.position === undefined) return;
    const roomId = typeof pdu['room_id'] === 'string' ? pdu['room_id'] : null;
    await this.store.enqueuePdu(eventId, roomId, JSON.stringify(pdu), targets, options.position);
    for (const d of targets) this.sender(d).wake();
  }

  async enqueueEdu(edu: Edu, destinations: Iterable<string>, options: { coalesceKey?: string } = {}): Promise<void> {
    const targets = this.targets(destinations);
    if (targets.length === 0) return;
    await this.store.enqueueEdu(JSON.stringify(edu), targets, options.coalesceKey);
    for (const d of targets) this.sender(d).wake();
  }

  /** The highest stream position passed to enqueuePdu; undefined before the first. */
  lastQueuedPosition(): Promise<number | undefined> {
    return this.store.lastPosition();
  }

  /** The server just reached us: if we were backing off from it, try again now. */
  peerIsUp(serverName: string): void {
    const sender = this.senders.get(serverName);
    if (sender?.backingOff) sender.wake(true);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all([...this.senders.values()].map((s) => s.stop()));
  }

  private targets(destinations: Iterable<string>): string[] {
    const out = new Set<string>();
    for (const d of destinations) if (d !== this.deps.serverName && isValidServerName(d)) out.add(d);
    return [...out];
  }

  private sender(destination: string): DestinationSender {
    let sender = this.senders.get(destination);
    if (!sender) {
      sender = new DestinationSender({
        destination,
        store: this.store,
        send: this.deps.send,
        backoff: (failures) => backoffDelay(failures, this.deps.retry),
        now: this.now,
        log: this.deps.log,
        metrics: this.metrics,
      });
      this.senders.set(destination, sender);
      if (this.stopped) void sender.stop();
    }
    return sender;
  }
}
