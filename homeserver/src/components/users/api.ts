import type { Context, Middleware } from 'koa';
import type { Authenticate, Requester } from '../../http/auth.js';
import type { AccountDataChange } from './storage/account-data.js';

export type { AccountDataChange };

/** displayname and avatar_url, as m.room.member events carry them; absent fields are unset. */
export interface ProfileSummary {
  displayname?: string;
  avatar_url?: string;
}

export interface DeviceSummary {
  deviceId: string;
  displayName: string | null;
}

type Listener<A extends unknown[]> = (...args: A) => Promise<void> | void;

/** What the users component needs of federation: remote profiles, and checking other servers' requests. */
export interface UsersFederation {
  /**
   * The public profile of a remote user, from `/_matrix/federation/v1/query/profile` on their
   * server. Throws MatrixError: 404 M_NOT_FOUND (no such user or profile, or the server did not
   * answer), 403 M_FORBIDDEN (the server does not disclose profiles).
   */
  queryProfile(userId: string): Promise<Record<string, unknown>>;
  /** Koa middleware for our federation endpoints: 401 unless the request is signed by a server. */
  readonly requireServerAuth: Middleware;
}

/**
 * What other components may ask of the users component. Listeners are awaited in turn after the
 * change is committed; a listener that throws is logged and does not undo the change.
 */
export interface UsersApi {
  /** Resolves an access token (for requireAuth from http/auth.ts); throws M_UNKNOWN_TOKEN etc. */
  readonly authenticate: Authenticate;
  /** requireAuth(authenticate), ready to put in front of a route. */
  readonly requireAuth: Middleware;
  /** requireAdmin(authenticate), for /_synapse/admin routes. */
  readonly requireAdmin: Middleware;

  /** A local account exists and is not deactivated. */
  userExists(userId: string): Promise<boolean>;
  isAdmin(userId: string): Promise<boolean>;
  /** A local user's displayname and avatar_url; undefined when there is no such account. */
  getProfile(userId: string): Promise<ProfileSummary | undefined>;
  /** Several local users' profiles in one query; users without an account are missing from the map. */
  getProfiles(userIds: readonly string[]): Promise<Map<string, ProfileSummary>>;
  /** A stored filter of the user (sync resolves `filter=<id>` with it). */
  getFilter(userId: string, filterId: string): Promise<Record<string, unknown> | undefined>;
  /** The devices of a local user. */
  getDevices(userId: string): Promise<DeviceSummary[]>;
  /** Several local users' devices in one query; users without devices are missing from the map. */
  getDevicesOf(userIds: readonly string[]): Promise<Map<string, DeviceSummary[]>>;
  /**
   * User-interactive auth with the account password for another component's sensitive operation
   * (keys: replacing cross-signing keys). Resolves once a flow is complete, else throws the 401
   * challenge; call `finish` after the operation succeeded. `operation` binds the session to it.
   */
  requirePassword(ctx: Context, requester: Requester, auth: unknown, operation: string): Promise<{ finish(): Promise<void> }>;

  /** One account data item (roomId null for global); undefined when unset or deleted. */
  getAccountData(userId: string, roomId: string | null, type: string): Promise<Record<string, unknown> | undefined>;
  /**
   * Writes an account data item for the server's own purposes (m.fully_read from read markers, …):
   * no type is refused here. Null content records a deletion. Answers the new stream position.
   */
  putAccountData(userId: string, roomId: string | null, type: string, content: Record<string, unknown> | null): Promise<number>;
  /** Account data written after stream position `since`, oldest first; content null means deleted. */
  accountDataSince(userId: string, since: number, limit?: number): Promise<AccountDataChange[]>;
  /** The highest account-data stream position so far (0 before any write). */
  accountDataPosition(): Promise<number>;

  /** Plugs in federation: remote users' profiles are asked of their servers, ours are served to them. */
  useFederation(federation: UsersFederation): void;

  /** displayname or avatar_url changed: rooms sends new m.room.member events into joined rooms. */
  onProfileChanged(listener: Listener<[userId: string, profile: ProfileSummary]>): void;
  /** The account was deactivated (tokens, devices and account data already gone): rooms leaves every room. */
  onDeactivated(listener: Listener<[userId: string, options: { erase: boolean }]>): void;
  /** Devices were deleted (logout, device deletion, password change, deactivation): keys drops their keys. */
  onDevicesDeleted(listener: Listener<[userId: string, deviceIds: string[]]>): void;
  /** A device's display name changed: keys tells those who track the user's devices. */
  onDeviceRenamed(listener: Listener<[userId: string, deviceId: string]>): void;
  /** An account data item was written at `streamId`: sync wakes the user's waiting requests. */
  onAccountDataChanged(listener: Listener<[userId: string, streamId: number]>): void;
}
