import type Router from '@koa/router';
import { isServerAllowedByAcl } from '../../../core/server-acl.js';
import { federationPath } from '../../federation/api.js';
import { errors } from '../../../http/errors.js';
import type { Directory } from '../directory.js';
import type { Memberships } from '../membership.js';
import type { RoomsService } from '../service.js';
import type { TimestampLookup } from '../timestamp-lookup.js';
import { serverOf } from '../hosts.js';
import type { RoomFederationContext } from './context.js';
import { currentAcl, InboundPdus } from './inbound.js';
import { EventIngest } from './ingest.js';
import { Backfiller } from './backfill.js';
import type { RoomReader } from '../reader.js';
import { Invites } from './invites.js';
import { RemoteJoins } from './joins.js';
import { OutboundEvents } from './outbound.js';
import { RemoteMemberships } from './remote-memberships.js';
import { RemoteRoom } from './remote.js';
import { ResidentHandshakes } from './resident.js';
import { roomFederationRoutes } from './routes/index.js';
import { ServedHistory } from './served-history.js';

export interface RoomFederation {
  readonly ingest: EventIngest;
  readonly remote: RemoteRoom;
  federationRoutes(router: Router): void;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The room layer of federation, wired into the rooms component: inbound PDUs, the resident side
 * of joins and invites, what other servers may read, our users' joins of other servers' rooms and
 * the outbound stream of our events.
 */
export function createRoomFederation(
  ctx: RoomFederationContext,
  parts: { directory: Directory; timestamps: TimestampLookup; service: RoomsService; memberships: Memberships; reader: RoomReader; isLocalUser: (userId: string) => Promise<boolean> },
): RoomFederation {
  const remote = new RemoteRoom(ctx.federation, ctx.log);
  const ingest = new EventIngest(ctx, remote);
  const remoteMemberships = new RemoteMemberships(ctx);
  const resident = new ResidentHandshakes(ctx, ingest);
  const invites = new Invites(ctx, remoteMemberships, resident, parts.isLocalUser);
  const joins = new RemoteJoins(ctx, ingest, remoteMemberships);
  const history = new ServedHistory(ctx);
  const outbound = new OutboundEvents(ctx);
  const backfiller = new Backfiller(ctx, ingest, remote);
  parts.reader.backfill = (roomId, limit) => backfiller.backfill(roomId, limit);
  const unsubscribe = ctx.bus.subscribe((events) => outbound.observe(events));

  ctx.federation.setInboundPduHandler(new InboundPdus(ctx, ingest));
  ctx.federation.setServerAclCheck(async (roomId, server) => {
    const info = await ctx.infos.get(roomId);
    if (!info) return true;
    const acl = await currentAcl(ctx, info);
    return !acl || isServerAllowedByAcl(acl, server);
  });

  const resolveRemoteAlias = async (alias: string): Promise<{ roomId: string; servers: string[] }> => {
    const server = alias.slice(alias.indexOf(':') + 1);
    try {
      const res = await ctx.federation.client.requestJson<{ room_id?: unknown; servers?: unknown }>(server, {
        method: 'GET',
        path: federationPath`/_matrix/federation/v1/query/directory`,
        query: { room_alias: alias },
      });
      if (typeof res.room_id !== 'string') throw errors.notFound(`Room alias ${alias} not found`);
      const servers = Array.isArray(res.servers) ? res.servers.filter((s): s is string => typeof s === 'string') : [];
      return { roomId: res.room_id, servers: [...new Set([server, ...servers])] };
    } catch (err) {
      if (err instanceof Error && 'status' in err && (err as { status?: number }).status === 404) throw errors.notFound(`Room alias ${alias} not found`);
      if (err instanceof Error && err.name === 'MatrixError') throw err;
      throw errors.notFound(`Room alias ${alias} could not be resolved on ${server}`);
    }
  };
  parts.service.remoteAliases = resolveRemoteAlias;
  parts.directory.remoteResolve = resolveRemoteAlias;
  parts.memberships.remote = {
    join: (roomId, userId, servers, content) => joins.join(roomId, userId, servers, content),
    knock: (roomId, userId, servers, content) => joins.knock(roomId, userId, servers, content),
    leave: (roomId, userId, reason) => joins.leave(roomId, userId, reason),
    countersignInvite: (built, roomId) => invites.countersign(built, roomId),
    async serversFor(roomId, userId) {
      const servers: string[] = [];
      const m = await remoteMemberships.get(roomId, userId);
      if (m) servers.push(m.viaServer);
      if (roomId.includes(':')) servers.push(serverOf(roomId));
      return servers;
    },
  };

  return {
    ingest,
    remote,
    federationRoutes(router) {
      roomFederationRoutes(router, { federation: ctx.federation, resident, invites, history, directory: parts.directory, timestamps: parts.timestamps, serverName: ctx.serverName });
    },
    async start() {
      await outbound.replay();
    },
    async stop() {
      unsubscribe();
      await outbound.drain();
    },
  };
}
