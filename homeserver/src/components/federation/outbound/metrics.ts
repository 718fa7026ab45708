import { Counter, Gauge, type Registry } from 'prom-client';

export interface QueueMetrics {
  sent(pdus: number, edus: number): void;
  /** A transaction that will be retried. */
  failed(): void;
  /** A transaction the peer refused for good (its items are dropped). */
  dropped(): void;
}

/** Outbound federation metrics; the depth gauge asks the database at each scrape, so it is never stale. */
export function queueMetrics(registry: Registry, depth: () => Promise<Map<string, number>>): QueueMetrics {
  const gauge = new Gauge({
    name: 'hearth_federation_queue_depth',
    help: 'Items (PDUs and EDUs) waiting to be sent, by destination',
    labelNames: ['destination'] as const,
    registers: [registry],
    async collect() {
      const byDestination = await depth();
      this.reset();
      for (const [destination, n] of byDestination) this.set({ destination }, n);
    },
  });
  void gauge;
  const transactions = new Counter({
    name: 'hearth_federation_transactions_total',
    help: 'Outbound transactions by outcome: sent (acknowledged), failed (will be retried), dropped (refused by the peer)',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const pdus = new Counter({ name: 'hearth_federation_sent_pdus_total', help: 'PDUs in acknowledged outbound transactions', registers: [registry] });
  const edus = new Counter({ name: 'hearth_federation_sent_edus_total', help: 'EDUs in acknowledged outbound transactions', registers: [registry] });
  return {
    sent(p, e) {
      transactions.inc({ outcome: 'sent' });
      pdus.inc(p);
      edus.inc(e);
    },
    failed: () => transactions.inc({ outcome: 'failed' }),
    dropped: () => transactions.inc({ outcome: 'dropped' }),
  };
}
