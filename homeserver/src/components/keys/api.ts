import type { Middleware } from 'koa';
import type { JsonObject } from '../../core/json.js';

/** `/keys/query`'s answer for some users (local ones from us, remote ones from their server). */
export interface KeysQueryResult {
  device_keys: Record<string, Record<string, JsonObject>>;
  master_keys: Record<string, JsonObject>;
  self_signing_keys: Record<string, JsonObject>;
  user_signing_keys: Record<string, JsonObject>;
}

/** `/keys/claim`'s one_time_keys: user → device → `<algorithm>:<key ID>` → key. */
export type ClaimedKeys = Record<string, Record<string, Record<string, JsonObject | string>>>;

/**
 * The seam where federation plugs in: what the keys component needs from other servers. Until a
 * federation client is given (KeysApi.useFederation), remote servers are reported in `failures`
 * of /keys/query and /keys/claim, and to-device messages for remote users are not sent (nothing
 * is queued for them: a queue no one drains would only grow).
 */
export interface KeysFederation {
  /** `POST /_matrix/federation/v1/user/keys/query` to `destination`. */
  queryKeys(destination: string, deviceKeys: Record<string, string[]>, timeoutMs: number): Promise<Partial<KeysQueryResult>>;
  /** `POST /_matrix/federation/v1/user/keys/claim` to `destination`. */
  claimKeys(destination: string, oneTimeKeys: Record<string, Record<string, string>>, timeoutMs: number): Promise<ClaimedKeys>;
  /** Queues an `m.direct_to_device` EDU to `destination`; resolves once it is durably queued. */
  sendToDevice(destination: string, sender: string, eventType: string, messages: Record<string, Record<string, JsonObject>>): Promise<void>;
  /** Queues `m.device_list_update` and `m.signing_key_update` EDUs, in order, for each destination. */
  sendKeyUpdates(edus: ReadonlyArray<{ edu_type: string; content: JsonObject }>, destinations: readonly string[]): Promise<void>;
  /** Koa middleware for the keys component's federation endpoints: 401 unless the request is signed. */
  readonly requireServerAuth: Middleware;
}

/** What other components (federation, admin) may ask of the keys component. */
export interface KeysApi {
  /** Plugs in federation: remote users' keys and to-device messages go through it from now on. */
  useFederation(federation: KeysFederation): void;
  /**
   * Local users' device and cross-signing keys, as /keys/query answers them to `viewer` (a local
   * user, or undefined for another server, which sees no user-signing keys).
   */
  queryLocalKeys(viewer: string | undefined, deviceKeys: Record<string, string[]>): Promise<KeysQueryResult>;
  /** Claims local devices' one-time keys (else fallback keys), as /keys/claim does. */
  claimLocalKeys(oneTimeKeys: Record<string, Record<string, string>>): Promise<ClaimedKeys>;
  /** Delivers to-device messages for local users (from federation); `*` means every device. */
  deliverToDevice(sender: string, eventType: string, messages: Record<string, Record<string, JsonObject>>): Promise<void>;
  /**
   * A remote user's devices or cross-signing keys changed (their server said so): our users who
   * share a room with them find them in `device_lists.changed` and query their keys again.
   * Ignored when no local user shares a room with them.
   */
  remoteKeysChanged(userId: string): Promise<void>;
}
