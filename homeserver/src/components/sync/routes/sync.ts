import type { IncomingMessage } from 'node:http';
import type Router from '@koa/router';
import type { FastRoutes } from '../../../http/fast-routes.js';
import { getRequester, requireAuth, type Authenticate, type Requester } from '../../../http/auth.js';
import { errors } from '../../../http/errors.js';
import { parseInteger, queryString } from '../../../http/params.js';
import type { SyncDeps } from '../deps.js';
import { resolveSyncFilter } from '../filter.js';
import type { PresenceState } from '../presence.js';
import { acknowledge, MAX_TIMEOUT_MS, syncOnce } from '../service.js';
import { parseSyncToken } from '../token.js';
import { Cancel } from '../../../util/cancel.js';
import { stringifyWithRaw } from '../../../util/raw-json.js';

const JSON_TYPE = 'application/json; charset=utf-8';
const PRESENCE = new Set(['online', 'unavailable', 'offline']);

function boolParam(value: string | undefined, name: string): boolean {
  if (value === undefined || value === 'false') return false;
  if (value === 'true') return true;
  throw errors.invalidParam(`${name} must be true or false`);
}

type Query = (name: string) => string | undefined;

/** One /sync answered, as the JSON bytes of its body. */
async function answerSync(deps: SyncDeps, requester: Requester, query: Query, req: IncomingMessage): Promise<Buffer> {
  const sinceRaw = query('since');
  const since = sinceRaw ? parseSyncToken(sinceRaw) : undefined;
  const timeout = parseInteger(query('timeout'), 'timeout', { min: 0, fallback: 0 });
  const setPresence = query('set_presence');
  if (setPresence !== undefined && !PRESENCE.has(setPresence)) throw errors.invalidParam('set_presence must be online, unavailable or offline');
  const filter = await resolveSyncFilter(query('filter'), requester.userId, (id) => deps.users.getFilter(requester.userId, id));
  const fullState = boolParam(query('full_state'), 'full_state');
  const useStateAfter = boolParam(query('use_state_after') ?? query('org.matrix.msc4222.use_state_after'), 'use_state_after');
  const unstableStateAfter = query('use_state_after') === undefined && useStateAfter;
  await deps.presence.touch(requester.userId, setPresence as PresenceState | undefined);
  await acknowledge(deps, requester.userId, requester.deviceId, since);
  // Stop waiting when the client goes away or the server shuts down.
  const gone = new Cancel();
  const onClose = (): void => gone.cancel();
  req.once('close', onClose);
  let body;
  try {
    body = await syncOnce(
      deps,
      { userId: requester.userId, deviceId: requester.deviceId, since, fullState, useStateAfter, unstableStateAfter },
      filter,
      Math.min(timeout, MAX_TIMEOUT_MS),
      gone,
    );
  } finally {
    // Once answered there is nothing to stop.
    req.off('close', onClose);
  }
  // Serialized here, not by koa: the timelines in it are already JSON text (util/raw-json.ts),
  // and encoded once as a Buffer (koa would measure a string and the socket encode it again).
  return Buffer.from(stringifyWithRaw(body));
}

/** GET /_matrix/client/v3/sync — long-poll sync. */
export function syncRoutes(router: Router, deps: SyncDeps, authenticate: Authenticate): void {
  router.get('/_matrix/client/v3/sync', requireAuth(authenticate), async (ctx) => {
    const body = await answerSync(deps, getRequester(ctx), (name) => queryString(ctx, name), ctx.req);
    // The header koa would make of 'application/json', without its lookup.
    ctx.set('Content-Type', JSON_TYPE);
    ctx.body = body;
  });
}

/** The same /sync past koa, for the long-polls every client sends again after each answer. */
export function syncFastRoutes(routes: FastRoutes, deps: SyncDeps): void {
  routes.get('/_matrix/client/v3/sync', (req, query, requester) => answerSync(deps, requester, (name) => query.get(name), req));
}
