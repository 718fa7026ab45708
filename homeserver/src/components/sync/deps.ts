import type { JsonObject } from '../../core/json.js';
import type { RoomsApi } from '../rooms/api.js';
import type { UsersApi } from '../users/api.js';
import type { Notifier } from './notifier.js';
import type { Presence } from './presence.js';
import type { PushRules } from './push-rules.js';
import type { Receipts } from './receipts.js';
import type { SyncPositions } from './token.js';
import type { Typing } from './typing.js';
import type { Gate } from '../../util/gate.js';

/**
 * A stream another component adds to sync (to-device messages, device lists, key counts): it owns
 * one position of the token and fills its part of the response.
 */
export interface SyncExtension {
  readonly stream: 'toDevice' | 'deviceLists';
  position(): number;
  /** Adds its sections to `body`; returns whether it added anything a waiting client must see. */
  fill(userId: string, deviceId: string, since: number | undefined, to: number, body: JsonObject): Promise<boolean>;
  /** Called once a client synced with a token that covers `position` (to-device acknowledgement). */
  acknowledge?(userId: string, deviceId: string, position: number): Promise<void>;
}

export interface SyncDeps {
  rooms: RoomsApi;
  users: Pick<UsersApi, 'getFilter' | 'accountDataSince' | 'accountDataPosition'>;
  receipts: Receipts;
  presence: Presence;
  typing: Typing;
  notifier: Notifier;
  extensions: SyncExtension[];
  /** Users' push rules, merged with the defaults: unread counts evaluate them. */
  pushRules: Pick<PushRules, 'forUser'>;
  /** Incremental syncs, woken by a change or finding news at once, compute a few at a time in arrival order (util/gate.ts says why). */
  woken: Gate;
}

export interface SyncRequest {
  userId: string;
  deviceId: string;
  since: SyncPositions | undefined;
  fullState: boolean;
  useStateAfter: boolean;
  /** Asked with MSC4222's unstable parameter: the answer also carries the unstable key clients of that era read. */
  unstableStateAfter?: boolean;
}
