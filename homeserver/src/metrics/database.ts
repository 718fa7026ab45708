import { Gauge, type Registry } from 'prom-client';
import type { Knex } from 'knex';

interface TarnPool {
  numUsed(): number;
  numFree(): number;
  numPendingAcquires(): number;
  numPendingCreates(): number;
  max: number;
}

/** Connection-pool gauges, read when Prometheus scrapes. */
export function databaseMetrics(registry: Registry, db: Knex): void {
  const pool = (): TarnPool | undefined => (db.client as { pool?: TarnPool }).pool;
  const gauge = (name: string, help: string, read: (p: TarnPool) => number): void => {
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        const p = pool();
        this.set(p ? read(p) : 0);
      },
    });
  };
  gauge('hearth_db_pool_connections_used', 'Database connections in use', (p) => p.numUsed());
  gauge('hearth_db_pool_connections_free', 'Idle database connections', (p) => p.numFree());
  gauge('hearth_db_pool_pending_acquires', 'Queries waiting for a connection', (p) => p.numPendingAcquires());
  gauge('hearth_db_pool_connections_max', 'Largest number of connections the pool opens', (p) => p.max);
}
