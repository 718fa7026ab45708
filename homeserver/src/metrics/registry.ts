import { Registry, collectDefaultMetrics } from 'prom-client';

/** One registry per homeserver instance, so several servers in one test process keep apart. */
export function createRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'hearth_' });
  return registry;
}
