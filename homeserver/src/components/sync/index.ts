import type { Knex } from 'knex';
import type { Authenticate } from '../../http/auth.js';
import type { Logger } from '../../log/logger.js';
import type { Component } from '../component.js';
import type { RoomsApi } from '../rooms/api.js';
import type { UsersApi } from '../users/api.js';
import type { SyncDeps, SyncExtension } from './deps.js';
import { Notifier } from './notifier.js';
import { Gate } from '../../util/gate.js';
import { Presence, type PresenceOptions } from './presence.js';
import { Receipts } from './receipts.js';
import { presenceRoutes } from './routes/presence.js';
import { PushRules } from './push-rules.js';
import { pushRuleRoutes } from './routes/push-rules.js';
import { receiptRoutes } from './routes/receipts.js';
import { syncFastRoutes, syncRoutes } from './routes/sync.js';
import { typingRoutes } from './routes/typing.js';
import { Typing } from './typing.js';
import { WsSync, type WsOptions } from './ws.js';
import { connectSyncFederation, type SyncFederation, type SyncFederationEdus } from './federation-edus.js';

/**
 * Woken syncs computing at once: two, so that one waiting on the database does not hold up the
 * rest, yet each keeps its data in the CPU caches (util/gate.ts).
 */
const WOKEN_AT_ONCE = 2;
/**
 * Woken syncs run between two turns of the event loop. Small: the next message's commit waits on
 * a database answer that only a turn of the loop delivers, so a long run of pushes for the last
 * message delays the next one. Measured with fanout-websocket (100 members, 200 messages/s):
 * after every 2 pushes gave a median of 9-15 ms, after 10 about 27, never about 32.
 */
const WOKEN_BETWEEN_IO = 2;
/**
 * Past this many waiting, a wave of woken syncs (one message to thousands of connections) runs
 * this many between turns: the next message waits a little longer, every connection gets this one
 * sooner. idle-connections (10,000 connections): see bench/RESULTS.md.
 */
const WOKEN_WAVE = { waiting: 256, yieldEvery: 32 };

export interface SyncComponentDeps {
  db: Knex;
  log: Logger;
  rooms: RoomsApi;
  users: UsersApi;
  authenticate: Authenticate;
  presence: PresenceOptions;
  ws: WsOptions;
}

export interface SyncComponent extends Component {
  readonly notifier: Notifier;
  /** Other components (E2EE) add their streams to sync here. */
  addExtension(ext: SyncExtension): void;
  /** Wakes a user's waiting syncs (to-device messages, device list changes). */
  pokeUser(userId: string): void;
  /** Plugs in federation: typing, receipts and presence go to and come from other servers. */
  useFederation(federation: SyncFederation): void;
  readonly ws: WsSync;
}

/** /sync (long-poll and WebSocket), typing, receipts, presence and the notifier that wakes them. */
export async function createSync(deps: SyncComponentDeps): Promise<SyncComponent> {
  const notifier = new Notifier();
  const typing = new Typing((roomId) => notifier.pokeRoom(roomId));
  const receipts = await Receipts.open(deps.db);
  let federationEdus: SyncFederationEdus | undefined;
  const presence = await Presence.open(deps.db, deps.presence, (userId) => {
    notifier.pokeUser(userId);
    federationEdus?.presenceChanged(userId);
    // Everyone sharing a room with the user may see the change.
    void deps.rooms.joinedRooms(userId).then((rooms) => rooms.forEach((r) => notifier.pokeRoom(r)));
  });
  const extensions: SyncExtension[] = [];
  // The account-data position is kept here rather than asked of the database on every sync.
  let accountDataMax = await deps.users.accountDataPosition();
  const users: SyncDeps['users'] = {
    getFilter: (userId, id) => deps.users.getFilter(userId, id),
    accountDataSince: (userId, since, limit) => deps.users.accountDataSince(userId, since, limit),
    accountDataPosition: () => Promise.resolve(accountDataMax),
  };
  // Clients read push rules from m.push_rules account data: each change is published there.
  const pushRules = new PushRules(deps.db, async (userId, ruleset) => {
    await deps.users.putAccountData(userId, null, 'm.push_rules', { global: ruleset });
  });
  deps.users.onDeactivated((userId) => pushRules.deleteUser(userId));
  const syncDeps: SyncDeps = { rooms: deps.rooms, users, receipts, presence, typing, notifier, extensions, pushRules, woken: new Gate(WOKEN_AT_ONCE, WOKEN_BETWEEN_IO, WOKEN_WAVE) };

  // New events become visible to sync when their stream position is published; wake their rooms then.
  const pending: Array<{ position: number; roomId: string; memberTargets: string[] }> = [];
  deps.rooms.onPersisted((events) => {
    for (const e of events) {
      pending.push({
        position: e.streamOrdering,
        roomId: e.roomId,
        memberTargets: e.pdu.type === 'm.room.member' && e.pdu.state_key ? [e.pdu.state_key] : [],
      });
    }
  });
  deps.rooms.onStreamAdvance((position) => {
    let i = 0;
    while (i < pending.length) {
      const p = pending[i]!;
      if (p.position <= position) {
        notifier.pokeRoom(p.roomId);
        // An invite or a join concerns a user who is not yet listening on the room.
        for (const u of p.memberTargets) notifier.pokeUser(u);
        pending.splice(i, 1);
      } else i++;
    }
  });
  deps.users.onAccountDataChanged((userId, streamId) => {
    accountDataMax = Math.max(accountDataMax, streamId);
    notifier.pokeUser(userId);
  });

  const ws = new WsSync(syncDeps, deps.authenticate, deps.log, deps.ws);
  return {
    name: 'sync',
    notifier,
    ws,
    addExtension: (ext) => extensions.push(ext),
    pokeUser: (userId) => notifier.pokeUser(userId),
    useFederation(federation) {
      federationEdus?.stop();
      federationEdus = connectSyncFederation({ federation, rooms: deps.rooms, typing, receipts, presence, notifier, log: deps.log });
    },
    routes(router) {
      syncRoutes(router, syncDeps, deps.authenticate);
      typingRoutes(router, typing, deps.rooms, deps.authenticate);
      receiptRoutes(router, { receipts, rooms: deps.rooms, users: deps.users, onReceipt: (roomId) => notifier.pokeRoom(roomId) }, deps.authenticate);
      presenceRoutes(router, presence, deps.rooms, deps.authenticate);
      pushRuleRoutes(router, pushRules, deps.authenticate);
    },
    fastRoutes: (routes) => syncFastRoutes(routes, syncDeps),
    upgrade: (req, socket, head) => ws.handleUpgrade(req, socket, head),
    beforeStop() {
      notifier.close();
      void ws.close();
    },
    async stop() {
      await ws.close();
      federationEdus?.stop();
      typing.stop();
      presence.stop();
    },
  };
}
