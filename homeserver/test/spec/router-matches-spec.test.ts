import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { startTestServer } from '../helpers/server.js';
import { WS_SYNC_PATH } from '../../src/components/sync/ws.js';

const specDir = fileURLToPath(new URL('../../../spec/', import.meta.url));
const METHODS = ['get', 'put', 'post', 'delete', 'patch'];

/** `/rooms/{roomId}` and `/rooms/:roomId` both become `/rooms/{}`, so names need not agree. */
const shape = (p: string): string => p.replace(/\{[^}]+\}/g, '{}').replace(/:[A-Za-z_]+/g, '{}');

/** Which listener a file describes: `x-hearth-listener: federation`, else the client listener. */
type Listener = 'client' | 'federation';

/** WebSocket endpoints are served on upgrade, outside the router; the spec marks them. */
const websocketPaths = new Set<string>();

function specRoutes(): Record<Listener, Set<string>> {
  const routes: Record<Listener, Set<string>> = { client: new Set(), federation: new Set() };
  for (const file of readdirSync(specDir).filter((f) => f.endsWith('.yaml'))) {
    const doc = parse(readFileSync(path.join(specDir, file), 'utf8')) as { openapi: string; 'x-hearth-listener'?: unknown; paths: Record<string, Record<string, unknown>> };
    if (!doc.openapi?.startsWith('3.1')) throw new Error(`${file} is not OpenAPI 3.1`);
    const marker = doc['x-hearth-listener'];
    if (marker !== undefined && marker !== 'federation') throw new Error(`${file}: x-hearth-listener must be "federation" or absent`);
    const listener: Listener = marker === 'federation' ? 'federation' : 'client';
    for (const [p, ops] of Object.entries(doc.paths ?? {})) {
      for (const m of Object.keys(ops).filter((k) => METHODS.includes(k))) {
        if ((ops[m] as Record<string, unknown>)['x-websocket'] === true) websocketPaths.add(p);
        else routes[listener].add(`${m.toUpperCase()} ${shape(p)}`);
      }
    }
  }
  return routes;
}

function served(layers: Array<{ path: string; methods: string[] }>): Set<string> {
  const out = new Set<string>();
  for (const layer of layers) {
    for (const m of layer.methods.filter((x) => x !== 'HEAD')) out.add(`${m} ${shape(layer.path)}`);
  }
  return out;
}

for (const onClient of [true, false]) {
  test(`spec/ describes exactly the routes each listener has (federation on the client listener: ${onClient})`, async (t) => {
    const s = await startTestServer(t, { HS_FEDERATION_ON_CLIENT_LISTENER: onClient ? '1' : '0' });
    const described = specRoutes();
    // Behind a TLS-terminating proxy the client listener answers federation requests too.
    const clientDescribed = onClient ? new Set([...described.client, ...described.federation]) : described.client;
    for (const [listener, routes, expected] of [
      ['client', s.hs.routes(), clientDescribed],
      ['federation', s.hs.federationRoutes(), described.federation],
    ] as const) {
      const has = served(routes);
      t.deepEqual([...has].filter((r) => !expected.has(r)).sort(), [], `${listener} listener: served but not in spec/`);
      t.deepEqual([...expected].filter((r) => !has.has(r)).sort(), [], `${listener} listener: in spec/ but not served`);
      t.true(has.size > 0);
    }
  });
}

test('the WebSocket sync path in spec/ is the one the server upgrades', (t) => {
  specRoutes();
  t.deepEqual([...websocketPaths], [WS_SYNC_PATH]);
});
