import { Histogram, type Registry } from 'prom-client';

export interface HttpMetrics {
  observe(method: string, route: string, status: number, seconds: number): void;
}

/** Request durations by route template (never the concrete path: IDs would explode the label set). */
export function httpMetrics(registry: Registry): HttpMetrics {
  const histogram = new Histogram({
    name: 'hearth_http_request_duration_seconds',
    help: 'Time from request arrival to response, by route template',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  // One child per label set, found by a plain string key: prom-client otherwise validates and
  // hashes the label object on every request.
  const children = new Map<string, { observe(value: number): void }>();
  return {
    observe(method, route, status, seconds) {
      const key = `${method} ${status} ${route}`;
      let child = children.get(key);
      if (child === undefined) {
        child = histogram.labels({ method, route, status: String(status) });
        children.set(key, child);
      }
      child.observe(seconds);
    },
  };
}
