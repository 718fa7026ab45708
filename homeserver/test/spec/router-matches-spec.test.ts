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

/** WebSocket endpoints are served on upgrade, outside the router; the spec marks them. */
const websocketPaths = new Set<string>();

function specRoutes(): Set<string> {
  const routes = new Set<string>();
  for (const file of readdirSync(specDir).filter((f) => f.endsWith('.yaml'))) {
    const doc = parse(readFileSync(path.join(specDir, file), 'utf8')) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    if (!doc.openapi?.startsWith('3.1')) throw new Error(`${file} is not OpenAPI 3.1`);
    for (const [p, ops] of Object.entries(doc.paths ?? {})) {
      for (const m of Object.keys(ops).filter((k) => METHODS.includes(k))) {
        if ((ops[m] as Record<string, unknown>)['x-websocket'] === true) websocketPaths.add(p);
        else routes.add(`${m.toUpperCase()} ${shape(p)}`);
      }
    }
  }
  return routes;
}

test('spec/ describes exactly the routes the server has', async (t) => {
  const s = await startTestServer(t);
  const served = new Set<string>();
  for (const layer of s.hs.routes()) {
    for (const m of layer.methods.filter((x) => x !== 'HEAD')) served.add(`${m} ${shape(layer.path)}`);
  }
  const described = specRoutes();
  t.deepEqual([...served].filter((r) => !described.has(r)).sort(), [], 'served but not in spec/');
  t.deepEqual([...described].filter((r) => !served.has(r)).sort(), [], 'in spec/ but not served');
  t.true(served.size > 0);
});

test('the WebSocket sync path in spec/ is the one the server upgrades', (t) => {
  specRoutes();
  t.deepEqual([...websocketPaths], [WS_SYNC_PATH]);
});
