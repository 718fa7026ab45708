import * as sdk from '@matrix-org/matrix-sdk-crypto-wasm';
import { MatrixError } from '../errors';
import type { HttpClient } from '../http';
import type { JsonObject, MatrixEvent, SyncResponse } from '../types';
import type { CryptoEngine, Decrypted, DeviceInfo, Shield, VerificationLike } from './engine';
import { Verification } from './verification';
import { REQUEST_TYPES, sendRequest, type OutgoingLike } from './requests';
import { base64ToBytes, bytesToBase64, decodeRecoveryKey, encodeRecoveryKey } from './recovery-key';

const SHIELD: Record<number, Shield['color']> = { [sdk.ShieldColor.Red]: 'red', [sdk.ShieldColor.Grey]: 'grey', [sdk.ShieldColor.None]: 'none' };

const HISTORY: Record<string, sdk.HistoryVisibility> = {
  invited: sdk.HistoryVisibility.Invited,
  joined: sdk.HistoryVisibility.Joined,
  shared: sdk.HistoryVisibility.Shared,
  world_readable: sdk.HistoryVisibility.WorldReadable,
};

/** The secret name of the key backup's private key (spec: "Storage of the key backup key"). */
const BACKUP_SECRET = 'm.megolm_backup.v1';

/**
 * One crypto store per session (device): a new sign-in never opens the store an old session of
 * the same account is still closing or deleting (an IndexedDB open waits behind a pending delete).
 */
export function cryptoStoreName(userId: string, deviceId: string): string {
  return `hearth-crypto:${userId}:${deviceId}`;
}

/** Where sessions kept their keys before stores were per session: still used by those sessions. */
function legacyStoreName(userId: string): string {
  return `hearth-crypto:${userId}`;
}

const STORE_SUFFIXES = ['::matrix-sdk-crypto', '::matrix-sdk-crypto-meta'];

async function storeNameFor(userId: string, deviceId: string): Promise<string> {
  const legacy = legacyStoreName(userId);
  try {
    const dbs = await indexedDB.databases();
    if (dbs.some((d) => d.name === `${legacy}${STORE_SUFFIXES[0]}`)) return legacy;
  } catch {
    // No listing in this browser: new sessions' names it is.
  }
  return cryptoStoreName(userId, deviceId);
}

/**
 * matrix-sdk-crypto behind our CryptoEngine. Its own IndexedDB store keeps the device's keys and
 * sessions, so encrypted history decrypts again after a reload, offline too.
 */
export class OlmEngine implements CryptoEngine {
  private flushing: Promise<void> | undefined;
  private again = false;
  private readonly roomLocks = new Map<string, Promise<unknown>>();
  private readonly keyListeners: Array<() => void> = [];
  private readonly verificationListeners: Array<(v: VerificationLike) => void> = [];
  private readonly seenRequests = new Set<string>();
  private readonly secretListeners: Array<() => void> = [];
  private readonly identityListeners: Array<() => void> = [];

  private constructor(
    readonly machine: sdk.OlmMachine,
    private readonly http: HttpClient,
  ) {
    void machine.registerRoomKeyUpdatedCallback(() => {
      for (const l of this.keyListeners) l();
      return Promise.resolve();
    });
  }

  static async create(http: HttpClient, userId: string, deviceId: string): Promise<OlmEngine> {
    await sdk.initAsync();
    const machine = await sdk.OlmMachine.initialize(new sdk.UserId(userId), new sdk.DeviceId(deviceId), await storeNameFor(userId, deviceId));
    const engine = new OlmEngine(machine, http);
    await machine.registerReceiveSecretCallback((name: string, value: string) => engine.receiveSecret(name, value).catch((err: unknown) => console.warn('secret not used', err)));
    // Offline, the uploads wait for the next sync; the engine already decrypts from its store.
    void engine
      .flush()
      .then(() => engine.takeInboxSecrets())
      .then(() => engine.requestSecretsIfTrusted())
      .catch(() => undefined);
    return engine;
  }

  get deviceId(): string {
    return this.machine.deviceId.toString();
  }

  get identityKey(): string {
    return this.machine.identityKeys.ed25519.toBase64();
  }

  async receiveSync(res: SyncResponse): Promise<void> {
    const counts = new Map(Object.entries(res.device_one_time_keys_count ?? {}));
    const fallback = (res as { device_unused_fallback_key_types?: string[] }).device_unused_fallback_key_types;
    const lists = new sdk.DeviceLists((res.device_lists?.changed ?? []).map((u) => new sdk.UserId(u)), (res.device_lists?.left ?? []).map((u) => new sdk.UserId(u)));
    await this.machine.receiveSyncChanges(JSON.stringify(res.to_device?.events ?? []), lists, counts, fallback ? new Set(fallback) : undefined);
    void this.flush().catch(() => undefined);
    for (const e of res.to_device?.events ?? []) {
      const ev = e as { type?: string; sender?: string; content?: { transaction_id?: string } };
      const flow = ev.content?.transaction_id;
      if (ev.type !== 'm.key.verification.request' || !ev.sender || !flow || this.seenRequests.has(flow)) continue;
      this.seenRequests.add(flow);
      const request = this.machine.getVerificationRequest(new sdk.UserId(ev.sender), flow);
      if (request) for (const l of this.verificationListeners) l(this.wrap(request));
    }
  }

  /** Sends every outgoing request; a call during a flush makes it run once more afterwards. */
  flush(): Promise<void> {
    if (this.flushing) {
      this.again = true;
      return this.flushing;
    }
    this.flushing = (async () => {
      do {
        this.again = false;
        const requests = (await this.machine.outgoingRequests()) as unknown as OutgoingLike[];
        let queried = false;
        for (const r of requests) {
          const response = await sendRequest(this.http, r);
          await this.machine.markRequestAsSent(r.id, r.type, response);
          if (r.type === REQUEST_TYPES.KeysQuery) queried = true;
        }
        // Someone's keys changed and were fetched again: a signature just made by a verification,
        // for one, counts only from here, so whatever shows trust must look again.
        if (queried) for (const l of this.identityListeners) l();
        // Olm sessions the machine wants by itself (to answer a secret or key request from a
        // device it has no session with yet, or to unwedge one) are claimed here.
        if (await this.claimMissingSessions([])) this.again = true;
        // New room keys go to the backup, when there is one.
        const backup = (await this.machine.backupRoomKeys()) as unknown as OutgoingLike | undefined;
        if (backup) await this.machine.markRequestAsSent(backup.id, backup.type, await sendRequest(this.http, backup));
        if (requests.length > 0 || backup) this.again = true;
      } while (this.again);
    })().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  /** One claim at a time (the machine asks for that); true when one was sent. */
  private claimMissingSessions(userIds: string[]): Promise<boolean> {
    return this.locked('keys/claim', async () => {
      const claim = await this.machine.getMissingSessions(userIds.map((u) => new sdk.UserId(u)));
      if (!claim) return false;
      await this.machine.markRequestAsSent(claim.id, claim.type, await sendRequest(this.http, claim as unknown as OutgoingLike));
      return true;
    });
  }

  async trackUsers(userIds: string[]): Promise<void> {
    if (userIds.length === 0) return;
    await this.machine.updateTrackedUsers(userIds.map((u) => new sdk.UserId(u)));
  }

  /** One at a time per key (a room: two sends must not share keys concurrently). */
  private locked<T>(roomId: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.roomLocks.get(roomId) ?? Promise.resolve();
    const next = prev.catch(() => undefined).then(fn);
    this.roomLocks.set(roomId, next);
    return next;
  }

  encrypt(roomId: string, type: string, content: JsonObject, recipients: string[], historyVisibility: string): Promise<JsonObject> {
    return this.locked(roomId, async () => {
      // Each call takes ownership of the IDs it is given (the WebAssembly side frees them), so
      // every call gets fresh ones.
      const users = (): sdk.UserId[] => recipients.map((u) => new sdk.UserId(u));
      await this.machine.updateTrackedUsers(users());
      // Device lists first (keys/query), then Olm sessions with devices we never talked to.
      await this.flush();
      await this.claimMissingSessions(recipients);
      const settings = new sdk.EncryptionSettings();
      settings.historyVisibility = HISTORY[historyVisibility] ?? sdk.HistoryVisibility.Shared;
      const shares = await this.machine.shareRoomKey(new sdk.RoomId(roomId), users(), settings);
      for (const r of shares) await this.machine.markRequestAsSent(r.id, r.type, await sendRequest(this.http, r as unknown as OutgoingLike));
      const encrypted = JSON.parse(await this.machine.encryptRoomEvent(new sdk.RoomId(roomId), type, JSON.stringify(content))) as JsonObject;
      // Relations stay readable to the server (spec): it aggregates them, and clients find edits.
      if (content['m.relates_to']) encrypted['m.relates_to'] = content['m.relates_to'];
      return encrypted;
    });
  }

  async decrypt(roomId: string, event: MatrixEvent): Promise<Decrypted> {
    try {
      const d = await this.machine.decryptRoomEvent(JSON.stringify(event), new sdk.RoomId(roomId), new sdk.DecryptionSettings(sdk.TrustRequirement.Untrusted));
      const clear = JSON.parse(d.event) as { type: string; content: JsonObject };
      const shield = d.shieldState(false);
      const content = { ...clear.content };
      if (!content['m.relates_to'] && event.content['m.relates_to']) content['m.relates_to'] = event.content['m.relates_to'];
      return { ok: true, type: clear.type, content, shield: { color: SHIELD[shield.color] ?? 'none', message: shield.message }, senderDevice: d.senderDevice?.toString() };
    } catch (err) {
      return { ok: false, reason: err instanceof Error ? err.message : String(err) };
    }
  }

  onRoomKeys(listener: () => void): void {
    this.keyListeners.push(listener);
  }

  async devices(userId: string): Promise<DeviceInfo[]> {
    // Ask the server now: a list shown to a person must not wait for a device-list change to arrive.
    // One at a time per user: overlapping queries for the same user only race each other.
    return this.locked(`devices:${userId}`, async () => {
      const query = this.machine.queryKeysForUsers([new sdk.UserId(userId)]) as unknown as OutgoingLike;
      await this.machine.markRequestAsSent(query.id, query.type, await sendRequest(this.http, query)).catch(() => undefined);
      return this.listDevices(userId);
    });
  }

  private async listDevices(userId: string): Promise<DeviceInfo[]> {
    const devices = await this.machine.getUserDevices(new sdk.UserId(userId), 5);
    return devices.devices().map((d) => ({
      deviceId: d.deviceId.toString(),
      displayName: d.displayName,
      verified: d.isVerified(),
      crossSigned: d.isCrossSignedByOwner(),
    }));
  }

  async hasCrossSigningKeys(): Promise<boolean> {
    const status = await this.machine.crossSigningStatus();
    return status.hasMaster && status.hasSelfSigning && status.hasUserSigning;
  }

  async setupCrossSigning(auth?: { userId: string; password: string }, reset = false): Promise<'done' | 'exists' | 'needs-password'> {
    if (!reset && (await this.hasCrossSigningKeys())) return 'done';
    if (!reset) {
      // Another device of ours may have set it up already: then verify with it instead.
      const own = this.machine.userId.toString();
      const q = await this.http.request<{ master_keys?: Record<string, unknown> }>('POST', '/_matrix/client/v3/keys/query', { body: { device_keys: { [own]: [] } } });
      if (q.master_keys?.[own]) return 'exists';
    }
    const req = await this.machine.bootstrapCrossSigning(true);
    const keysUpload = req.uploadKeysRequest as OutgoingLike | undefined;
    // Requests made by bootstrap have no ID: nothing to mark as sent for them.
    if (keysUpload) {
      const res = await sendRequest(this.http, keysUpload);
      if (keysUpload.id) await this.machine.markRequestAsSent(keysUpload.id, keysUpload.type, res);
    }
    const body = JSON.parse(req.uploadSigningKeysRequest.body) as Record<string, unknown>;
    try {
      await this.http.request('POST', '/_matrix/client/v3/keys/device_signing/upload', { body });
    } catch (err) {
      if (!(err instanceof MatrixError) || err.status !== 401 || !Array.isArray(err.body.flows)) throw err;
      if (!auth) return 'needs-password';
      const session = typeof err.body.session === 'string' ? err.body.session : undefined;
      await this.http.request('POST', '/_matrix/client/v3/keys/device_signing/upload', {
        body: { ...body, auth: { type: 'm.login.password', identifier: { type: 'm.id.user', user: auth.userId }, password: auth.password, session } },
      });
    }
    const sigs = req.uploadSignaturesRequest as unknown as OutgoingLike;
    const res = await sendRequest(this.http, sigs);
    if (sigs.id) await this.machine.markRequestAsSent(sigs.id, sigs.type, res);
    return 'done';
  }

  encryptAttachment(data: Uint8Array): { data: Uint8Array; file: JsonObject } {
    const enc = sdk.Attachment.encrypt(data);
    const file = JSON.parse(enc.mediaEncryptionInfo ?? '{}') as JsonObject;
    return { data: enc.encryptedData, file };
  }

  decryptAttachment(data: Uint8Array, file: JsonObject): Uint8Array {
    const { url: _url, ...info } = file;
    return sdk.Attachment.decrypt(new sdk.EncryptedAttachment(data, JSON.stringify(info)));
  }

  async backupInfo(): Promise<{ version: string; enabled: boolean } | undefined> {
    try {
      const info = await this.http.request<{ version: string }>('GET', '/_matrix/client/v3/room_keys/version');
      return { version: info.version, enabled: await this.machine.isBackupEnabled() };
    } catch (err) {
      if (err instanceof MatrixError && err.status === 404) return undefined;
      throw err;
    }
  }

  private async enableBackup(key: sdk.BackupDecryptionKey, version: string): Promise<void> {
    await this.machine.saveBackupDecryptionKey(key, version);
    await this.machine.enableBackupV1(key.megolmV1PublicKey.publicKeyBase64, version);
    await this.flush();
  }

  async createBackup(): Promise<string> {
    const key = sdk.BackupDecryptionKey.createRandomKey();
    const authData: Record<string, unknown> = { public_key: key.megolmV1PublicKey.publicKeyBase64 };
    // One key: its JSON is already canonical.
    authData.signatures = JSON.parse((await this.machine.sign(JSON.stringify(authData))).asJSON()) as unknown;
    const { version } = await this.http.request<{ version: string }>('POST', '/_matrix/client/v3/room_keys/version', {
      body: { algorithm: 'm.megolm_backup.v1.curve25519-aes-sha2', auth_data: authData },
    });
    await this.enableBackup(key, version);
    return encodeRecoveryKey(base64ToBytes(key.toBase64()));
  }

  async restoreBackup(recoveryKey: string): Promise<{ imported: number; total: number }> {
    const key = sdk.BackupDecryptionKey.fromBase64(bytesToBase64(decodeRecoveryKey(recoveryKey)));
    const info = await this.http.request<{ version: string; auth_data: { public_key?: string } }>('GET', '/_matrix/client/v3/room_keys/version');
    if (info.auth_data.public_key !== key.megolmV1PublicKey.publicKeyBase64) throw new Error('This recovery key does not belong to the current backup.');
    return this.restoreWithKey(key, info.version);
  }

  /** Reads every key of backup `version` with its key, and keeps backing up to it. */
  private async restoreWithKey(key: sdk.BackupDecryptionKey, version: string): Promise<{ imported: number; total: number }> {
    type SessionData = { session_data: { ephemeral: string; mac: string; ciphertext: string } };
    const all = await this.http.request<{ rooms: Record<string, { sessions: Record<string, SessionData> }> }>('GET', '/_matrix/client/v3/room_keys/keys', { query: { version } });
    const keys = new Map<sdk.RoomId, Map<string, unknown>>();
    let total = 0;
    for (const [roomId, room] of Object.entries(all.rooms ?? {})) {
      const sessions = new Map<string, unknown>();
      for (const [sessionId, data] of Object.entries(room.sessions ?? {})) {
        total++;
        try {
          const d = data.session_data;
          sessions.set(sessionId, JSON.parse(key.decryptV1(d.ephemeral, d.mac, d.ciphertext)));
        } catch {
          // A session that does not decrypt is skipped; the rest still count.
        }
      }
      keys.set(new sdk.RoomId(roomId), sessions);
    }
    const result = await this.machine.importBackedUpRoomKeys(keys, () => undefined, version);
    await this.enableBackup(key, version);
    for (const l of this.keyListeners) l();
    return { imported: result.importedCount, total };
  }

  async requestVerification(userId: string, deviceId: string): Promise<VerificationLike> {
    const device = await this.machine.getDevice(new sdk.UserId(userId), new sdk.DeviceId(deviceId), 5);
    if (!device) throw new Error(`Unknown device ${deviceId}`);
    const [request, outgoing] = device.requestVerification([sdk.VerificationMethod.SasV1]);
    this.seenRequests.add(request.flowId);
    const r = outgoing as unknown as OutgoingLike;
    const res = await sendRequest(this.http, r);
    if (r.id) await this.machine.markRequestAsSent(r.id, r.type, res);
    return this.wrap(request);
  }

  /** A verification with one of our own devices that ends well is the moment to ask it for our secrets. */
  private wrap(request: sdk.VerificationRequest): Verification {
    const v = new Verification(request, this.http, this.machine);
    let asked = false;
    v.onChange((snap) => {
      if (snap.phase !== 'done' || asked || snap.otherUserId !== this.machine.userId.toString()) return;
      asked = true;
      void this.requestMissingSecrets().catch((err: unknown) => console.warn('secret request failed', err));
    });
    return v;
  }

  async requestUserVerification(roomId: string, userId: string, send: (content: JsonObject) => Promise<string>): Promise<VerificationLike> {
    const user = (): sdk.UserId => new sdk.UserId(userId);
    await this.machine.updateTrackedUsers([user()]);
    const query = this.machine.queryKeysForUsers([user()]) as unknown as OutgoingLike;
    await this.machine.markRequestAsSent(query.id, query.type, await sendRequest(this.http, query));
    const identity = (await this.machine.getIdentity(user())) as sdk.OtherUserIdentity | sdk.OwnUserIdentity | undefined;
    if (!(identity instanceof sdk.OtherUserIdentity)) throw new Error(`${userId} has no cross-signing identity yet, so they cannot be verified.`);
    const content = JSON.parse(identity.verificationRequestContent([sdk.VerificationMethod.SasV1])) as JsonObject;
    const eventId = await send(content);
    const request = identity.requestVerification(new sdk.RoomId(roomId), new sdk.EventId(eventId), [sdk.VerificationMethod.SasV1]);
    this.seenRequests.add(request.flowId);
    return this.wrap(request);
  }

  async receiveRoomVerificationEvent(roomId: string, event: MatrixEvent): Promise<void> {
    await this.machine.receiveVerificationEvent(JSON.stringify({ ...event, room_id: roomId }), new sdk.RoomId(roomId));
    const isRequest = event.type === 'm.room.message' && event.content.msgtype === 'm.key.verification.request';
    if (isRequest && event.sender !== this.machine.userId.toString() && !this.seenRequests.has(event.event_id)) {
      this.seenRequests.add(event.event_id);
      const request = this.machine.getVerificationRequest(new sdk.UserId(event.sender), event.event_id);
      if (request) for (const l of this.verificationListeners) l(this.wrap(request));
    }
    await this.flush();
  }

  async isUserVerified(userId: string): Promise<boolean> {
    const identity = (await this.machine.getIdentity(new sdk.UserId(userId))) as sdk.OtherUserIdentity | sdk.OwnUserIdentity | undefined;
    return identity?.isVerified() ?? false;
  }

  /**
   * At start: a session verified earlier whose secrets never came (the other device was away)
   * asks again. An unverified one would only be ignored, so it does not ask.
   */
  private async requestSecretsIfTrusted(): Promise<void> {
    const own = await this.machine.getDevice(new sdk.UserId(this.machine.userId.toString()), new sdk.DeviceId(this.deviceId), 5);
    if (own?.isCrossSignedByOwner()) await this.requestMissingSecrets();
  }

  async requestMissingSecrets(): Promise<void> {
    if (await this.machine.requestMissingSecretsIfNeeded()) await this.flush();
  }

  onSecretsReceived(listener: () => void): void {
    this.secretListeners.push(listener);
  }

  onIdentitiesChanged(listener: () => void): void {
    this.identityListeners.push(listener);
  }

  /**
   * A secret another device of ours sent (m.secret.send; the machine already checked it came from
   * a verified device of ours over Olm). Cross-signing keys the machine takes in itself; the backup
   * key is ours to use: when it opens the current backup, history is restored and backed up from here.
   */
  private async receiveSecret(name: string, value: string): Promise<void> {
    if (name !== BACKUP_SECRET) return;
    const key = sdk.BackupDecryptionKey.fromBase64(value);
    const info = await this.http.request<{ version: string; auth_data: { public_key?: string } }>('GET', '/_matrix/client/v3/room_keys/version');
    if (info.auth_data.public_key !== key.megolmV1PublicKey.publicKeyBase64) return;
    await this.machine.deleteSecretsFromInbox(BACKUP_SECRET);
    await this.restoreWithKey(key, info.version);
    for (const l of this.secretListeners) l();
  }

  /** A backup key that arrived while the app was closed waits in the machine's inbox. */
  private async takeInboxSecrets(): Promise<void> {
    const values = (await this.machine.getSecretsFromInbox(BACKUP_SECRET)) as unknown as Set<string>;
    for (const v of values ?? []) await this.receiveSecret(BACKUP_SECRET, v).catch(() => undefined);
  }

  onVerificationRequest(listener: (v: VerificationLike) => void): void {
    this.verificationListeners.push(listener);
  }

  close(): void {
    this.machine.close();
  }
}

/** Deletes a session's crypto store (sign-out): its keys must not outlive the session. */
export async function deleteCryptoStore(userId: string, deviceId: string): Promise<void> {
  for (const base of [cryptoStoreName(userId, deviceId), legacyStoreName(userId)]) {
    for (const suffix of STORE_SUFFIXES) {
      // Capped: a deletion blocked by a connection still closing finishes later by itself, and
      // sign-out must not hang on it (the next session uses a store of its own).
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 5000);
        const req = indexedDB.deleteDatabase(`${base}${suffix}`);
        req.onsuccess = req.onerror = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }
}
