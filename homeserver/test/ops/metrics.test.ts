import test from 'ava';
import { startTestServer } from '../helpers/server.js';

test('metrics: request durations by route template, Node defaults and database pool gauges', async (t) => {
  const s = await startTestServer(t, { HS_METRICS_PORT: '0' });
  t.truthy(s.hs.metricsUrl);
  await s.request('GET', '/_matrix/client/versions');
  await s.request('GET', '/_matrix/client/v3/profile/%40nobody%3Ahs.test');
  const res = await fetch(s.hs.metricsUrl!);
  t.is(res.status, 200);
  t.regex(res.headers.get('content-type') ?? '', /^text\/plain/);
  const text = await res.text();
  t.regex(text, /hearth_http_request_duration_seconds_count\{method="GET",route="\/_matrix\/client\/versions",status="200"\} 1/);
  // The template, not the concrete user ID, is the label.
  t.regex(text, /route="\/_matrix\/client\/v3\/profile\/:userId"/);
  t.notRegex(text, /nobody/);
  t.regex(text, /hearth_process_resident_memory_bytes \d+/);
  t.regex(text, /hearth_nodejs_eventloop_lag_seconds/);
  t.regex(text, /hearth_db_pool_connections_used \d+/);
  t.regex(text, /hearth_db_pool_connections_max [1-9]\d*/);
  const other = await fetch(s.hs.metricsUrl!.replace('/metrics', '/other'));
  t.is(other.status, 404);
});

test('metrics stay off unless a port is configured', async (t) => {
  const s = await startTestServer(t);
  t.is(s.hs.metricsUrl, undefined);
});
