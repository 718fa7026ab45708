import * as sdk from '@matrix-org/matrix-sdk-crypto-wasm';
import { MatrixError } from '../errors';
import type { HttpClient } from '../http';
import type { JsonObject, MatrixEvent, SyncResponse } from '../types';
import type { CryptoEngine, Decrypted, DeviceInfo, Shield, VerificationLike } from './engine';
import { Verification } from './verification';
import { sendRequest, type OutgoingLike } from './requests';
import { base64ToBytes, bytesToBase64, decodeRecoveryKey, encodeRecoveryKey } from './recovery-key';

const SHIELD: Record<number, Shield['color']> = { [sdk.ShieldColor.Red]: 'red', [sdk.ShieldColor.Grey]: 'grey', [sdk.ShieldColor.None]: 'none' };

const HISTORY: Record<string, sdk.HistoryVisibility> = {
  invited: sdk.HistoryVisibility.Invited,
  joined: sdk.HistoryVisibility.Joined,
  shared: sdk.HistoryVisibility.Shared,
  world_readable: sdk.HistoryVisibility.WorldReadable,
};

export function cryptoStoreName(userId: string): string {
  return `hearth-crypto:${userId}`;
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
    const machine = await sdk.OlmMachine.initialize(new sdk.UserId(userId), new sdk.DeviceId(deviceId), cryptoStoreName(userId));
    const engine = new OlmEngine(machine, http);
    // Offline, the uploads wait for the next sync; the engine already decrypts from its store.
    void engine.flush().catch(() => undefined);
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
      if (request) for (const l of this.verificationListeners) l(new Verification(request, this.http, this.machine));
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
        for (const r of requests) {
          const response = await sendRequest(this.http, r);
          await this.machine.markRequestAsSent(r.id, r.type, response);
        }
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
      const claim = await this.machine.getMissingSessions(users());
      if (claim) await this.machine.markRequestAsSent(claim.id, claim.type, await sendRequest(this.http, claim as unknown as OutgoingLike));
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
    type SessionData = { session_data: { ephemeral: string; mac: string; ciphertext: string } };
    const all = await this.http.request<{ rooms: Record<string, { sessions: Record<string, SessionData> }> }>('GET', '/_matrix/client/v3/room_keys/keys', { query: { version: info.version } });
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
    const result = await this.machine.importBackedUpRoomKeys(keys, () => undefined, info.version);
    await this.enableBackup(key, info.version);
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
    return new Verification(request, this.http, this.machine);
  }

  onVerificationRequest(listener: (v: VerificationLike) => void): void {
    this.verificationListeners.push(listener);
  }

  close(): void {
    this.machine.close();
  }
}

/** Deletes the crypto store of an account (sign-out): its keys must not outlive the session. */
export async function deleteCryptoStore(userId: string): Promise<void> {
  const base = cryptoStoreName(userId);
  for (const name of [`${base}::matrix-sdk-crypto`, `${base}::matrix-sdk-crypto-meta`]) {
    // Wait for the deletion itself (not just "blocked"): a new session opening the store while
    // the old one is still being deleted would find it half gone. Capped, so sign-out never hangs.
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 5000);
      const req = indexedDB.deleteDatabase(name);
      req.onsuccess = req.onerror = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
