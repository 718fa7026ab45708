import type Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import type { JsonObject } from '../../../../core/json.js';
import { errors } from '../../../../http/errors.js';
import { getOrigin, signedContent, type FederationApi } from '../../../federation/api.js';
import type { Directory } from '../../directory.js';
import type { TimestampLookup } from '../../timestamp-lookup.js';
import type { Invites } from '../invites.js';
import type { ResidentHandshakes } from '../resident.js';
import type { ServedHistory } from '../served-history.js';

export interface RoomFederationRouteDeps {
  federation: FederationApi;
  resident: ResidentHandshakes;
  invites: Invites;
  history: ServedHistory;
  directory: Directory;
  timestamps: TimestampLookup;
  serverName: string;
}

const missingEventsBody = z.object({
  earliest_events: z.array(z.string()).max(100),
  latest_events: z.array(z.string()).min(1).max(100),
  limit: z.number().int().min(0).optional(),
  min_depth: z.number().int().min(0).optional(),
});
const inviteBody = z.object({ room_version: z.string(), event: z.record(z.string(), z.unknown()), invite_room_state: z.array(z.unknown()).optional() });
const publicRoomsBody = z.object({
  limit: z.number().int().min(0).optional(),
  since: z.string().optional(),
  filter: z.object({ generic_search_term: z.string().optional(), room_types: z.array(z.string().nullable()).optional() }).optional(),
  include_all_networks: z.boolean().optional(),
  third_party_instance_id: z.string().optional(),
});

function stringList(value: string | string[] | undefined): string[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

function queryString(ctx: Context, name: string): string | undefined {
  const v = ctx.query[name];
  return Array.isArray(v) ? v[0] : v;
}

function positiveInt(raw: string | undefined, fallback: number, max: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 0) throw errors.invalidParam('limit must be a non-negative integer');
  return Math.min(n, max);
}

/**
 * The room endpoints of the Server-Server API: joins, leaves, knocks and invites of other
 * servers' users, and the reads other servers make of our copy of a room's DAG.
 */
export function roomFederationRoutes(router: Router, deps: RoomFederationRouteDeps): void {
  const { federation, resident, invites, history } = deps;
  const auth = federation.requireServerAuth;
  const acl = federation.requireServerAcl((ctx) => (ctx as unknown as { params: Record<string, string> }).params['roomId']);

  for (const kind of ['join', 'leave', 'knock'] as const) {
    router.get(`/_matrix/federation/v1/make_${kind}/:roomId/:userId`, auth, acl, async (ctx) => {
      const versions = kind === 'leave' ? [] : stringList(ctx.query['ver']);
      // Servers that send no `ver` speak only room version 1.
      ctx.body = await resident.make(kind, getOrigin(ctx), ctx.params['roomId']!, ctx.params['userId']!, versions.length > 0 ? versions : ['1']);
    });
  }
  router.put('/_matrix/federation/v2/send_join/:roomId/:eventId', auth, acl, async (ctx) => {
    const { event, stored } = await resident.send('join', getOrigin(ctx), ctx.params['roomId']!, ctx.params['eventId']!, signedContent(ctx));
    ctx.body = await resident.joinResponse(event, stored);
  });
  router.put('/_matrix/federation/v2/send_leave/:roomId/:eventId', auth, acl, async (ctx) => {
    await resident.send('leave', getOrigin(ctx), ctx.params['roomId']!, ctx.params['eventId']!, signedContent(ctx));
    ctx.body = {};
  });
  router.put('/_matrix/federation/v1/send_knock/:roomId/:eventId', auth, acl, async (ctx) => {
    const { info } = await resident.send('knock', getOrigin(ctx), ctx.params['roomId']!, ctx.params['eventId']!, signedContent(ctx));
    ctx.body = { knock_room_state: await resident.strippedState(info.roomId) };
  });
  router.put('/_matrix/federation/v2/invite/:roomId/:eventId', auth, acl, async (ctx) => {
    const body = inviteBody.safeParse(signedContent(ctx));
    if (!body.success) throw errors.badJson('An invite needs room_version and event');
    ctx.body = await invites.receive(getOrigin(ctx), ctx.params['roomId']!, ctx.params['eventId']!, body.data);
  });

  router.get('/_matrix/federation/v1/event/:eventId', auth, async (ctx) => {
    const pdu = await history.event(getOrigin(ctx), ctx.params['eventId']!);
    ctx.body = { origin: deps.serverName, origin_server_ts: Date.now(), pdus: [pdu] };
  });
  router.get('/_matrix/federation/v1/state/:roomId', auth, acl, async (ctx) => {
    const eventId = queryString(ctx, 'event_id');
    if (!eventId) throw errors.missingParam('event_id is required');
    ctx.body = await history.state(getOrigin(ctx), ctx.params['roomId']!, eventId, false);
  });
  router.get('/_matrix/federation/v1/state_ids/:roomId', auth, acl, async (ctx) => {
    const eventId = queryString(ctx, 'event_id');
    if (!eventId) throw errors.missingParam('event_id is required');
    ctx.body = await history.state(getOrigin(ctx), ctx.params['roomId']!, eventId, true);
  });
  router.get('/_matrix/federation/v1/event_auth/:roomId/:eventId', auth, acl, async (ctx) => {
    ctx.body = { auth_chain: await history.authChain(getOrigin(ctx), ctx.params['roomId']!, ctx.params['eventId']!) };
  });
  router.post('/_matrix/federation/v1/get_missing_events/:roomId', auth, acl, async (ctx) => {
    const parsed = missingEventsBody.safeParse(signedContent(ctx));
    if (!parsed.success) throw errors.badJson('earliest_events and latest_events must be lists of event IDs');
    const b = parsed.data;
    ctx.body = { events: await history.missingEvents(getOrigin(ctx), ctx.params['roomId']!, b.earliest_events, b.latest_events, Math.min(b.limit ?? 10, 100), b.min_depth ?? 0) };
  });
  router.get('/_matrix/federation/v1/backfill/:roomId', auth, acl, async (ctx) => {
    const from = stringList(ctx.query['v']);
    if (from.length === 0) throw errors.missingParam('v is required');
    const limit = positiveInt(queryString(ctx, 'limit'), 10, 100);
    ctx.body = { origin: deps.serverName, origin_server_ts: Date.now(), pdus: await history.backfill(getOrigin(ctx), ctx.params['roomId']!, from, limit) };
  });
  router.get('/_matrix/federation/v1/timestamp_to_event/:roomId', auth, acl, async (ctx) => {
    if (queryString(ctx, 'ts') === undefined) throw errors.missingParam('ts is required');
    const ts = Number(queryString(ctx, 'ts'));
    const dir = queryString(ctx, 'dir');
    if (!Number.isSafeInteger(ts)) throw errors.invalidParam('ts must be an integer');
    if (dir !== 'f' && dir !== 'b') throw errors.invalidParam("dir must be 'f' or 'b'");
    await history.requireInRoom(getOrigin(ctx), ctx.params['roomId']!);
    ctx.body = await deps.timestamps.closestForServer(ctx.params['roomId']!, ts, dir);
  });

  router.get('/_matrix/federation/v1/query/directory', auth, async (ctx) => {
    const alias = queryString(ctx, 'room_alias');
    if (!alias) throw errors.missingParam('room_alias is required');
    // Only our own aliases: we do not look up a third server's on another's behalf.
    ctx.body = await deps.directory.resolve(alias, { remote: false });
  });
  router.get('/_matrix/federation/v1/publicRooms', auth, async (ctx) => {
    const limit = queryString(ctx, 'limit');
    ctx.body = await deps.directory.publicRooms({ limit: limit === undefined ? undefined : positiveInt(limit, 100, 500), since: queryString(ctx, 'since') });
  });
  router.post('/_matrix/federation/v1/publicRooms', auth, async (ctx) => {
    const parsed = publicRoomsBody.safeParse(signedContent(ctx) ?? {});
    if (!parsed.success) throw errors.badJson('Invalid publicRooms request');
    const b = parsed.data;
    ctx.body = await deps.directory.publicRooms({
      limit: b.limit,
      since: b.since,
      searchTerm: b.filter?.generic_search_term,
      roomTypes: b.filter?.room_types,
      thirdPartyInstanceId: b.include_all_networks ? undefined : b.third_party_instance_id,
    }) as JsonObject;
  });
}
