import type Router from '@koa/router';
import { z } from 'zod';
import { getRequester } from '../../../http/auth.js';
import { jsonBody } from '../../../http/body.js';
import { errors } from '../../../http/errors.js';
import { queryString } from '../../../http/params.js';
import { parseSyncToken } from '../../sync/token.js';
import { claimKeys, queryKeys } from '../queries.js';
import { idString, timeoutSchema, userIdString } from '../schemas.js';
import { CLIENT, type KeysRouteDeps } from './common.js';

/** How long to wait for other servers when the client does not say (the spec's recommendation). */
const DEFAULT_TIMEOUT_MS = 10_000;

const queryBody = z
  .object({
    device_keys: z.record(userIdString, z.array(idString).max(1000)),
    timeout: timeoutSchema,
  })
  .passthrough();

const claimBody = z
  .object({
    one_time_keys: z.record(userIdString, z.record(idString, idString)),
    timeout: timeoutSchema,
  })
  .passthrough();

/**
 * POST /_matrix/client/v3/keys/query — device and cross-signing keys of users.
 * POST /_matrix/client/v3/keys/claim — one-time (else fallback) keys of devices.
 * GET  /_matrix/client/v3/keys/changes — whose device lists changed between two sync tokens.
 */
export function queryRoutes(router: Router, d: KeysRouteDeps): void {
  router.post(`${CLIENT}/keys/query`, d.auth, async (ctx) => {
    const body = await jsonBody(ctx, queryBody);
    ctx.body = await queryKeys(d.k, getRequester(ctx).userId, body.device_keys, body.timeout ?? DEFAULT_TIMEOUT_MS);
  });

  router.post(`${CLIENT}/keys/claim`, d.auth, async (ctx) => {
    const body = await jsonBody(ctx, claimBody);
    ctx.body = await claimKeys(d.k, body.one_time_keys, body.timeout ?? DEFAULT_TIMEOUT_MS);
  });

  router.get(`${CLIENT}/keys/changes`, d.auth, async (ctx) => {
    const fromRaw = queryString(ctx, 'from');
    const toRaw = queryString(ctx, 'to');
    if (!fromRaw) throw errors.missingParam('from is required');
    if (!toRaw) throw errors.missingParam('to is required');
    const from = parseSyncToken(fromRaw).deviceLists;
    // `to` is a hint: never read past what is complete now.
    const to = Math.min(parseSyncToken(toRaw).deviceLists, d.deviceLists.stream.current());
    ctx.body = await d.deviceLists.changesFor(getRequester(ctx).userId, from, to);
  });
}
