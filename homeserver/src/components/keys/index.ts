import type Router from '@koa/router';
import { parseUserId } from '../../core/ids.js';
import type { Knex } from '../../db/database.js';
import type { Logger } from '../../log/logger.js';
import type { Component } from '../component.js';
import type { SyncExtension } from '../sync/deps.js';
import type { KeysApi, KeysFederation } from './api.js';
import { KeyBackup } from './backup.js';
import type { KeysContext, KeysRooms, KeysUsers } from './context.js';
import { DeviceLists } from './device-lists.js';
import { DurableStream } from './durable-stream.js';
import { claimLocalKeys, queryLocalKeys } from './queries.js';
import { backupKeyRoutes } from './routes/backup-keys.js';
import { backupVersionRoutes } from './routes/backup-versions.js';
import type { KeysRouteDeps } from './routes/common.js';
import { crossSigningRoutes } from './routes/cross-signing.js';
import { queryRoutes } from './routes/query.js';
import { toDeviceRoutes } from './routes/to-device.js';
import { uploadRoutes } from './routes/upload.js';
import { deleteCrossSigningKeys, deleteSignaturesBy, deleteSignaturesOn } from './storage/cross-signing.js';
import { deleteDeviceKeys, getDeviceKeys } from './storage/device-keys.js';
import { deleteDeviceOneTimeKeys } from './storage/one-time-keys.js';
import { KeyCounts } from './key-counts.js';
import { KeyUpdates } from './key-updates.js';
import { federationKeyRoutes } from './routes/federation.js';
import { deleteForDevices } from './storage/to-device.js';
import { ToDevice } from './to-device.js';

export interface KeysDeps {
  db: Knex;
  log: Logger;
  serverName: string;
  users: KeysUsers;
  rooms: KeysRooms;
  sync: { addExtension(ext: SyncExtension): void; pokeUser(userId: string): void };
  /** Other servers, once federation exists; until then remote users are reported as failures. */
  federation?: KeysFederation;
  now?: () => number;
}

export type KeysComponent = Component & { readonly api: KeysApi };

const SWEEP_MS = 3600_000;

/**
 * End-to-end encryption: device keys, one-time and fallback keys, cross-signing, key backup,
 * send-to-device messaging, and the to-device and device-list streams of sync.
 */
export async function createKeys(deps: KeysDeps): Promise<KeysComponent> {
  let federation = deps.federation;
  const k: KeysContext = {
    db: deps.db,
    log: deps.log,
    serverName: deps.serverName,
    users: deps.users,
    rooms: deps.rooms,
    keyCounts: new KeyCounts(deps.db),
    now: deps.now ?? Date.now,
    federation: () => federation,
    isLocal: (userId) => parseUserId(userId)?.serverName === deps.serverName,
    poke: (userId) => deps.sync.pokeUser(userId),
  };
  const keyUpdates = new KeyUpdates(k);
  const deviceLists = new DeviceLists(k, await DurableStream.open(deps.db, 'deviceLists'), (update) => keyUpdates.publish(update));
  const toDevice = new ToDevice(k, await DurableStream.open(deps.db, 'toDevice'));
  const backup = new KeyBackup(k);
  const routeDeps: KeysRouteDeps = { k, auth: deps.users.requireAuth, deviceLists, toDevice, backup };

  deps.sync.addExtension(toDevice.extension());
  deps.sync.addExtension(deviceLists.extension());
  deps.rooms.onPersisted(deviceLists.onPersisted);
  deps.users.onDevicesDeleted(async (userId, deviceIds) => {
    const had = await deps.db.transaction(async (trx) => {
      const existed = await deleteDeviceKeys(trx, userId, deviceIds);
      await deleteDeviceOneTimeKeys(trx, userId, deviceIds);
      await deleteForDevices(trx, userId, deviceIds);
      await deleteSignaturesOn(trx, userId, deviceIds);
      await deleteSignaturesBy(trx, userId, deviceIds.map((d) => `ed25519:${d}`));
      return existed;
    });
    k.keyCounts.changed(deviceIds.map((deviceId) => ({ userId, deviceId })));
    toDevice.forget(userId, deviceIds);
    if (had) await deviceLists.keysChanged([{ userId, devices: { ids: deviceIds, deleted: true } }]);
  });
  deps.users.onDeviceRenamed(async (userId, deviceId) => {
    // The display name travels with the device keys (their `unsigned` data), to clients and servers.
    if (await getDeviceKeys(deps.db, userId, deviceId)) {
      await deviceLists.keysChanged([{ userId, devices: { ids: [deviceId], deleted: false } }]);
    }
  });
  deps.users.onDeactivated(async (userId) => {
    // A deactivated account keeps no keys: others stop trusting or encrypting for it.
    await deleteCrossSigningKeys(deps.db, userId);
    await backup.deleteAll(userId);
    await deviceLists.keysChanged([{ userId }]);
  });

  const api: KeysApi = {
    useFederation(f) {
      federation = f;
    },
    queryLocalKeys: (viewer, deviceKeys) => queryLocalKeys(k, viewer, deviceKeys),
    claimLocalKeys: (oneTimeKeys) => claimLocalKeys(k, oneTimeKeys),
    deliverToDevice: (sender, eventType, messages) => toDevice.deliver(sender, eventType, messages),
    async remoteKeysChanged(userId) {
      if (k.isLocal(userId)) return;
      // Rows for users nobody here shares a room with would only grow the stream.
      const sharing = await deps.rooms.sync.usersSharingRooms(userId);
      if (![...sharing].some((u) => k.isLocal(u))) return;
      await deviceLists.keysChanged([{ userId }]);
    },
  };

  let sweepTimer: NodeJS.Timeout | undefined;
  return {
    name: 'keys',
    api,
    routes(router: Router) {
      uploadRoutes(router, routeDeps);
      queryRoutes(router, routeDeps);
      crossSigningRoutes(router, routeDeps);
      toDeviceRoutes(router, routeDeps);
      backupVersionRoutes(router, routeDeps);
      backupKeyRoutes(router, routeDeps);
    },
    federationRoutes(router: Router) {
      federationKeyRoutes(router, k);
    },
    async start() {
      sweepTimer = setInterval(() => void toDevice.sweep().catch((err: unknown) => deps.log.warn({ err }, 'to-device transaction sweep failed')), SWEEP_MS);
      sweepTimer.unref();
      await toDevice.sweep();
    },
    async stop() {
      clearInterval(sweepTimer);
      await deviceLists.idle();
      await keyUpdates.idle();
    },
  };
}
