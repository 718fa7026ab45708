import type { Knex } from 'knex';
import type { Authenticate, Requester } from '../../http/auth.js';
import type { Logger } from '../../log/logger.js';
import { StreamIdGenerator } from '../../streams/stream-id.js';
import type { Component } from '../component.js';
import type { ServerSigningKey } from '../federation/signing-key.js';
import type { RoomsApi } from './api.js';
import { Memberships, type ProfileSource } from './membership.js';
import { RoomEventBus } from './pipeline/bus.js';
import { RoomInfos } from './pipeline/room-info.js';
import { RoomWriter } from './pipeline/writer.js';
import { RoomReader } from './reader.js';
import { createRoomFeatures } from './features.js';
import { RelationsReader } from './relations.js';
import { createRoomRoutes } from './routes/create-room.js';
import { membershipRoutes } from './routes/membership.js';
import { readRoutes } from './routes/read.js';
import { sendRoutes } from './routes/send.js';
import { stateRoutes } from './routes/state.js';
import { RoomsService } from './service.js';
import { RoomSyncSource } from './sync-source.js';
import { UnreadCheckpoints } from './unread-checkpoints.js';
import { DecorationCache } from './decoration-cache.js';
import { RecentEvents } from './recent-events.js';
import { RoomHosts, serverOf } from './hosts.js';
import type { FederationApi } from '../federation/api.js';
import { createRoomFederation } from './federation/index.js';
import { HistoricIds } from './federation/context.js';
import { invalidateVisibility } from './visibility.js';
import { CurrentState } from './state/current-state.js';
import { StateGroups } from './state/state-groups.js';
import { AliasStore } from './storage/aliases.js';
import { EventStore } from './storage/events.js';
import { mediaInRoom } from './media-in-room.js';

export interface RoomsDeps {
  db: Knex;
  log: Logger;
  serverName: string;
  signingKey: ServerSigningKey;
  authenticate: Authenticate;
  profiles: ProfileSource;
  /** Server-server transport; without it rooms stay local to this server. */
  federation?: FederationApi | undefined;
}

export interface RoomsComponent extends Component {
  readonly api: RoomsApi;
  readonly service: RoomsService;
  readonly reader: RoomReader;
}

/** Rooms and the event graph: creation, membership, sending, state, history. Call after migrations. */
export async function createRooms(deps: RoomsDeps): Promise<RoomsComponent> {
  const events = new EventStore(deps.db);
  const stream = new StreamIdGenerator(await events.maxStreamOrdering());
  const groups = new StateGroups(deps.db);
  const infos = new RoomInfos(deps.db, groups);
  const bus = new RoomEventBus();
  // Caches of derived read data learn of every event first, before any reader is woken.
  const decorations = DecorationCache.for(deps.db);
  bus.subscribe((persisted) => {
    invalidateVisibility(deps.db, persisted);
    // Events of other servers may arrive after relations or redactions of them: never "fresh".
    const local = persisted.filter((e) => serverOf(e.pdu.sender) === deps.serverName);
    decorations.observe(local);
    if (local.length < persisted.length) decorations.observe(persisted.filter((e) => serverOf(e.pdu.sender) !== deps.serverName), false);
  });
  const writer = new RoomWriter({ db: deps.db, events, groups, infos, stream, bus, serverName: deps.serverName, signingKey: deps.signingKey });
  const current = new CurrentState(infos, events);
  const aliases = new AliasStore(deps.db);
  const memberships = new Memberships(writer, current, deps.profiles);
  const service = new RoomsService(deps.db, deps.serverName, writer, events, current, aliases, memberships, deps.profiles);
  const relations = new RelationsReader(deps.db, events, current);
  const reader = new RoomReader(deps.db, events, groups, current, relations);
  const features = createRoomFeatures({ ...deps, writer, bus, events, current, aliases, reader, groups });

  const hosts = new RoomHosts(deps.db);
  bus.subscribe((persisted) => hosts.observe(persisted));
  const recent = new RecentEvents(stream.current());
  bus.subscribe((persisted) => recent.observe(persisted));
  const checkpoints = new UnreadCheckpoints(deps.db, deps.log);
  const syncSource = new RoomSyncSource(deps.db, events, groups, current, reader, recent, checkpoints);
  bus.subscribe((persisted) => syncSource.observe(persisted));
  service.afterForget = (userId) => syncSource.forgetMemberships(userId);
  const roomFederation = deps.federation
    ? createRoomFederation(
        { db: deps.db, log: deps.log, serverName: deps.serverName, signingKey: deps.signingKey, federation: deps.federation, events, groups, infos, stream, historic: await HistoricIds.load(deps.db), bus, writer, hosts },
        { directory: features.directory, timestamps: features.timestamps, service, memberships, reader, isLocalUser: async (u) => (await deps.profiles.getProfile(u)) !== undefined },
      )
    : undefined;
  const api: RoomsApi = {
    onPersisted: (l) => bus.subscribe(l),
    onStreamAdvance: (l) => stream.onAdvance(l),
    sync: syncSource,
    joinedRooms: (userId) => reader.joinedRooms(userId),
    joinedServers: (roomId) => hosts.joinedServers(roomId),
    serversSharingRoomsWith: (userId) => hosts.serversSharingRoomsWith(userId),
    isJoined: (roomId, userId) => hosts.isJoined(roomId, userId),
    mediaInRoom: (roomId) => mediaInRoom(deps.db, roomId),
    currentStreamPosition: () => stream.current(),
    async updateProfileInRooms(userId, profile) {
      for (const roomId of await reader.joinedRooms(userId)) {
        const existing = await current.event(roomId, 'm.room.member', userId);
        if (!existing || existing.pdu.content.membership !== 'join') continue;
        const content = { ...existing.pdu.content };
        // A restricted-join authorisation belongs to the join it was made for, not to later updates.
        delete content.join_authorised_via_users_server;
        delete content.displayname;
        delete content.avatar_url;
        if (profile.displayname !== undefined) content.displayname = profile.displayname;
        if (profile.avatar_url !== undefined) content.avatar_url = profile.avatar_url;
        try {
          await writer.append(roomId, [{ type: 'm.room.member', state_key: userId, sender: userId, content }]);
        } catch (err) {
          deps.log.warn({ err, roomId, userId }, 'could not update the profile in a room');
        }
      }
    },
    async leaveAllRooms(requester: Requester) {
      const rows = (await deps.db('room_memberships').select('room_id').where('user_id', requester.userId).whereIn('membership', ['join', 'invite', 'knock'])) as Array<{ room_id: string }>;
      for (const { room_id } of rows) {
        try {
          await memberships.change(requester, room_id, 'leave', requester.userId);
        } catch (err) {
          deps.log.warn({ err, roomId: room_id }, 'could not leave a room on deactivation');
        }
      }
    },
  };

  return {
    name: 'rooms',
    api,
    service,
    reader,
    routes(router) {
      createRoomRoutes(router, service, deps.authenticate);
      membershipRoutes(router, service, deps.authenticate);
      sendRoutes(router, service, deps.authenticate);
      stateRoutes(router, service, reader, deps.authenticate);
      readRoutes(router, reader, deps.authenticate);
      features.routes(router);
    },
    federationRoutes(router) {
      roomFederation?.federationRoutes(router);
    },
    async start() {
      await features.start();
      await roomFederation?.start();
    },
    async stop() {
      await writer.drain();
      await roomFederation?.stop();
      await features.stop();
      await checkpoints.stop();
    },
  };
}
