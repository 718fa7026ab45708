import type { JsonObject, MatrixEvent, SyncResponse } from '../types';

/**
 * End-to-end encryption as the rest of the client sees it. The only implementation wraps
 * matrix-sdk-crypto (Rust, as WebAssembly); nothing here does cryptography itself.
 */

export type ShieldColor = 'none' | 'grey' | 'red';

export interface Shield {
  color: ShieldColor;
  message: string | undefined;
}

export type Decrypted =
  | { ok: true; type: string; content: JsonObject; shield: Shield; senderDevice: string | undefined }
  | { ok: false; reason: string };

export interface DeviceInfo {
  deviceId: string;
  displayName: string | undefined;
  verified: boolean;
  /** Signed by its owner's cross-signing key (the owner vouches for it). */
  crossSigned: boolean;
}

export type VerificationPhase = 'requested' | 'ready' | 'started' | 'emoji' | 'confirmed' | 'done' | 'cancelled';

export interface VerificationSnapshot {
  flowId: string;
  otherUserId: string;
  otherDeviceId: string | undefined;
  weStarted: boolean;
  phase: VerificationPhase;
  emoji: Array<{ symbol: string; description: string }>;
  cancelReason: string | undefined;
}

export interface VerificationLike {
  onChange(listener: (s: VerificationSnapshot) => void): void;
  accept(): Promise<void>;
  startSas(): Promise<void>;
  confirm(): Promise<void>;
  cancel(): Promise<void>;
}

export interface CryptoEngine {
  readonly deviceId: string;
  readonly identityKey: string;
  /** To-device messages, device list changes and key counts of one sync, before its rooms. */
  receiveSync(res: SyncResponse): Promise<void>;
  /** Sends what the crypto machine wants sent (key uploads, queries, claims, to-device). */
  flush(): Promise<void>;
  trackUsers(userIds: string[]): Promise<void>;
  encrypt(roomId: string, type: string, content: JsonObject, recipients: string[], historyVisibility: string): Promise<JsonObject>;
  decrypt(roomId: string, event: MatrixEvent): Promise<Decrypted>;
  /** Called when new room keys arrive: events that failed may now decrypt. */
  onRoomKeys(listener: () => void): void;
  devices(userId: string): Promise<DeviceInfo[]>;
  /** This device holds the account's cross-signing keys (it can vouch for other devices). */
  hasCrossSigningKeys(): Promise<boolean>;
  /**
   * Creates the account's cross-signing keys when the account has none yet. Replacing existing
   * ones needs the password; without one, a server that asks for it gets 'needs-password'.
   */
  setupCrossSigning(auth?: { userId: string; password: string }, reset?: boolean): Promise<'done' | 'exists' | 'needs-password'>;
  /** Encrypts a file for an encrypted room: the ciphertext to upload, and the `file` object without its `url`. */
  encryptAttachment(data: Uint8Array): { data: Uint8Array; file: JsonObject };
  decryptAttachment(data: Uint8Array, file: JsonObject): Uint8Array;
  /** The server's current key backup, and whether this device writes to it. */
  backupInfo(): Promise<{ version: string; enabled: boolean } | undefined>;
  /** Starts a new key backup; returns the recovery key for the person to keep. */
  createBackup(): Promise<string>;
  /** Reads every key of the current backup with a recovery key, and keeps backing up to it. */
  restoreBackup(recoveryKey: string): Promise<{ imported: number; total: number }>;
  /** Asks another device (ours, or someone else's) to verify with us by comparing emoji. */
  requestVerification(userId: string, deviceId: string): Promise<VerificationLike>;
  /** Verification requests other devices sent us, as they arrive. */
  onVerificationRequest(listener: (v: VerificationLike) => void): void;
  /**
   * Asks another person to verify them (in a room we share: the request is a message there,
   * which `send` puts on the wire and returns the event ID of). Comparing emoji then marks their
   * identity verified, and with it every device their cross-signing vouches for.
   */
  requestUserVerification(roomId: string, userId: string, send: (content: JsonObject) => Promise<string>): Promise<VerificationLike>;
  /** A verification event seen in a room's timeline (decrypted), for in-room verification. */
  receiveRoomVerificationEvent(roomId: string, event: MatrixEvent): Promise<void>;
  /** Their cross-signing identity is verified by us. */
  isUserVerified(userId: string): Promise<boolean>;
  /**
   * Asks our other, verified devices for the secrets this one lacks (the cross-signing private
   * keys and the key backup's key: m.secret.request). They arrive as m.secret.send.
   */
  requestMissingSecrets(): Promise<void>;
  /** Called when secrets from another device made a difference (keys backed up, history readable). */
  onSecretsReceived(listener: () => void): void;
  /** Called after keys of users we track were fetched again (device-list changes): trust may differ. */
  onIdentitiesChanged(listener: () => void): void;
  close(): void;
}
