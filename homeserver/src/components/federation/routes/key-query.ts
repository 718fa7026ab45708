import type Router from '@koa/router';
import { z } from 'zod';
import { isValidServerName } from '../../../core/ids.js';
import { jsonBody } from '../../../http/body.js';
import { errors } from '../../../http/errors.js';
import { queryInt } from '../../../http/params.js';
import type { Notary, NotaryCriteria } from '../keys/notary.js';

/** A notary query fetches from every server named: bound the fan-out one request may cause. */
export const MAX_NOTARY_SERVERS = 100;

const criteria = z.object({ minimum_valid_until_ts: z.number().int().optional() }).passthrough();
const bulkQuery = z.object({
  server_keys: z.record(z.string(), z.record(z.string(), criteria)),
});

/**
 * POST /_matrix/key/v2/query — other servers' keys in bulk, each document signed by us as notary.
 * GET /_matrix/key/v2/query/{serverName} — the same for one server, all its keys.
 * Neither needs authentication: the documents carry their own signatures.
 */
export function keyQueryRoutes(router: Router, notary: Notary): void {
  router.post('/_matrix/key/v2/query', async (ctx) => {
    const body = await jsonBody(ctx, bulkQuery);
    const servers = Object.entries(body.server_keys);
    if (servers.length > MAX_NOTARY_SERVERS) throw errors.badJson(`At most ${MAX_NOTARY_SERVERS} servers can be queried at once`);
    const wanted: NotaryCriteria = new Map();
    for (const [server, keys] of servers) {
      // A name that is not a server name cannot be asked; it gets no keys, like an unreachable one.
      if (!isValidServerName(server)) continue;
      wanted.set(server, new Map(Object.entries(keys).map(([keyId, c]) => [keyId, c.minimum_valid_until_ts])));
    }
    ctx.body = { server_keys: await notary.query(wanted) };
  });

  router.get('/_matrix/key/v2/query/:serverName', async (ctx) => {
    const server = ctx.params['serverName']!;
    if (!isValidServerName(server)) throw errors.invalidParam('serverName is not a server name');
    const minimum = queryInt(ctx, 'minimum_valid_until_ts', { min: 0 });
    // No key IDs: all of the server's keys.
    const wanted: NotaryCriteria = new Map([[server, new Map()]]);
    ctx.body = { server_keys: await notary.query(wanted, minimum) };
  });
}
