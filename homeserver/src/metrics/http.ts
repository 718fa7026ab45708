import type { Registry } from 'prom-client';
import { KeyedHistogram } from './histogram.js';

export interface HttpMetrics {
  observe(method: string, route: string, status: number, seconds: number): void;
}

/** Request durations by route template (never the concrete path: IDs would explode the label set). */
export function httpMetrics(registry: Registry): HttpMetrics {
  const histogram = new KeyedHistogram<'method' | 'route' | 'status'>(
    'hearth_http_request_duration_seconds',
    'Time from request arrival to response, by route template',
    [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registry,
  );
  return {
    observe(method, route, status, seconds) {
      histogram.observe(`${method} ${status} ${route}`, () => ({ method, route, status: String(status) }), seconds);
    },
  };
}
