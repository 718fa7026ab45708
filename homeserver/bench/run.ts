import { mkdirSync, writeFileSync } from 'node:fs';
import { fanout } from './scenarios/fanout.js';
import { mediaBench } from './scenarios/media.js';
import { rj } from './scenarios/rj.js';
import { initialSync } from './scenarios/initial-sync.js';
import { idleConnections } from './scenarios/idle-connections.js';
import { storage } from './scenarios/storage.js';
import { federationIngest } from './scenarios/federation-ingest.js';
import { bigJoin } from './scenarios/big-join.js';
import { scaled } from './lib/scale.js';
import { register } from './lib/client.js';
import { startBenchServer } from './lib/server.js';

/**
 * `npm run bench [scenario…]`: runs each scenario against a real server on PostgreSQL, prints one
 * JSON object per scenario and a short summary. Results also land in bench/out/ (git-ignored).
 */
const SCENARIOS: Record<string, () => Promise<Record<string, unknown>>> = {
  'fanout-longpoll': () => fanout({ members: 100, messages: 2000, ratePerSecond: 200, warmupMessages: 400, transport: 'longpoll' }),
  'fanout-websocket': () => fanout({ members: 100, messages: 2000, ratePerSecond: 200, warmupMessages: 400, transport: 'websocket' }),
  media: async () => {
    const server = await startBenchServer({ HS_MEDIA_MAX_UPLOAD_BYTES: String(50 * 1024 * 1024), HS_RATE_LIMIT_MEDIA_UPLOAD_BURST: '100000' });
    try {
      const user = await register(server.url, 'uploader');
      return { scenario: 'media', ...(await mediaBench(server.url, user.token, { images: 100 })), server_rss_peak_mb: Math.round((server.rss() / 1048576) * 10) / 10 };
    } finally {
      await server.stop();
    }
  },
  rj,
  'initial-sync': () => initialSync({ rooms: scaled(500, 2), eventsPerRoom: 50, runs: 10 }),
  'idle-connections': () => idleConnections({ connections: scaled(10_000, 10), users: scaled(500, 2) }),
  storage: () => storage({ members: scaled(1000, 3), messages: scaled(10_000, 10), membershipChanges: scaled(1000, 2) }),
  'federation-ingest': () => federationIngest({ messages: scaled(10_000, 100), perTxn: 50, rooms: 1 }),
  'federation-ingest-10-rooms': () => federationIngest({ messages: scaled(10_000, 100), perTxn: 50, rooms: 10 }),
  'big-join': () => bigJoin({ members: scaled(30_000, 100) }),
};

async function main(): Promise<void> {
  const asked = process.argv.slice(2);
  const names = asked.length > 0 ? asked.flatMap((a) => Object.keys(SCENARIOS).filter((n) => n === a || n.startsWith(`${a}-`))) : Object.keys(SCENARIOS);
  const unknown = asked.filter((a) => !Object.keys(SCENARIOS).some((n) => n === a || n.startsWith(`${a}-`)));
  if (unknown.length > 0) {
    console.error(`unknown scenario(s): ${unknown.join(', ')}; known: ${Object.keys(SCENARIOS).join(', ')}`);
    process.exit(2);
  }
  const results: Array<Record<string, unknown>> = [];
  for (const name of names) {
    const result = { ...(await SCENARIOS[name]!()), date: new Date().toISOString() };
    console.log(JSON.stringify(result));
    results.push(result);
  }
  mkdirSync(new URL('./out/', import.meta.url), { recursive: true });
  writeFileSync(new URL(`./out/results-${Date.now()}.json`, import.meta.url), JSON.stringify(results, null, 2));
  console.error('\nsummary');
  for (const r of results) {
    const lat = r.latency_ms as { p50: number; p99: number } | undefined;
    if (typeof r.summary === 'string') {
      console.error(`  ${String(r.scenario).padEnd(26)} ${r.met ? 'MET ' : 'MISS'}  ${r.summary}`);
    } else if (lat) {
      console.error(`  ${String(r.scenario).padEnd(26)} ${r.met ? 'MET ' : 'MISS'}  p50 ${lat.p50} ms  p99 ${lat.p99} ms (trivial server: ${(r.limit as { value: { p99_ms: number } }).value.p99_ms})  ${r.deliveries_per_s} deliveries/s  lost ${r.lost}  dup ${r.duplicates}`);
    } else {
      const floor = (r.limit as { value?: Record<string, number> } | undefined)?.value ?? {};
      console.error(`  ${String(r.scenario).padEnd(26)} ${r.uploadMbPerSecond} MB/s upload (floor ${floor.uploadMbPerSecond})  ${r.thumbnailsPerSecond} thumbnails/s (floor ${floor.thumbnailsPerSecond})  server RSS peak ${r.server_rss_peak_mb} MB`);
    }
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
