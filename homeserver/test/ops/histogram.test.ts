import test from 'ava';
import { Histogram, Registry } from 'prom-client';
import { KeyedHistogram } from '../../src/metrics/histogram.js';

test('writes the same exposition text as prom-client Histogram for the same observations', async (t) => {
  const ours = new Registry();
  const theirs = new Registry();
  const bounds = [0.01, 0.1, 1];
  const mine = new KeyedHistogram<'route' | 'status'>('x_seconds', 'Some durations', bounds, ours);
  const reference = new Histogram({ name: 'x_seconds', help: 'Some durations', labelNames: ['route', 'status'], buckets: bounds, registers: [theirs] });
  const seen: Array<[string, string, number]> = [
    ['/a', '200', 0.005],
    ['/a', '200', 0.01],
    ['/a', '200', 0.5],
    ['/a', '404', 7],
    ['/b"quoted"', '200', 0.1],
    ['/a', '200', 2],
  ];
  for (const [route, status, v] of seen) {
    mine.observe(`${route} ${status}`, () => ({ route, status }), v);
    reference.observe({ route, status }, v);
  }
  t.is(await ours.metrics(), await theirs.metrics());
});

test('an unobserved histogram writes only its help and type', async (t) => {
  const r = new Registry();
  new KeyedHistogram('y_seconds', 'Nothing yet', [1], r);
  t.is(await r.metrics(), '# HELP y_seconds Nothing yet\n# TYPE y_seconds histogram\n');
});
