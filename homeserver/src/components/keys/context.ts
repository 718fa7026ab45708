import type { Knex } from '../../db/database.js';
import type { Logger } from '../../log/logger.js';
import type { RoomsApi } from '../rooms/api.js';
import type { UsersApi } from '../users/api.js';
import type { KeysFederation } from './api.js';
import type { KeyCounts } from './key-counts.js';

/** What the keys component uses of the users component. */
export type KeysUsers = Pick<UsersApi, 'requireAuth' | 'userExists' | 'getDevicesOf' | 'requirePassword' | 'onDevicesDeleted' | 'onDeviceRenamed' | 'onDeactivated'>;

/** What the keys component uses of the rooms component. */
export type KeysRooms = Pick<RoomsApi, 'onPersisted' | 'joinedRooms' | 'serversSharingRoomsWith' | 'sync'>;

/** The shared pieces every part of the keys component works with. */
export interface KeysContext {
  readonly db: Knex;
  readonly log: Logger;
  readonly serverName: string;
  readonly users: KeysUsers;
  readonly rooms: KeysRooms;
  /** One-time key counts per device, cached for sync. */
  readonly keyCounts: KeyCounts;
  now(): number;
  /** The federation client once one is plugged in. */
  federation(): KeysFederation | undefined;
  isLocal(userId: string): boolean;
  /** Wakes the user's waiting syncs. */
  poke(userId: string): void;
}

/** The server part of a user ID (the text after the first colon). */
export function serverOf(userId: string): string {
  return userId.slice(userId.indexOf(':') + 1);
}
