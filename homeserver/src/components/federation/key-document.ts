import { signJson } from '../../core/signing.js';
import type { KnownKey } from './storage/remote-keys.js';
import type { OldOwnKey } from './storage/own-keys.js';
import type { ServerSigningKey } from './signing-key.js';

export interface ServerKeyDocument {
  server_name: string;
  valid_until_ts: number;
  verify_keys: Record<string, { key: string }>;
  old_verify_keys: Record<string, { key: string; expired_ts: number }>;
  signatures?: Record<string, Record<string, string>>;
}

/** How long other servers may cache our key before asking again. */
export const KEY_VALIDITY_MS = 24 * 60 * 60 * 1000;

/**
 * The self-signed answer to `GET /_matrix/key/v2/server`. It is the same for every caller, so it
 * is signed once and re-signed when half its validity has passed.
 */
export class KeyDocumentCache {
  private doc: ServerKeyDocument | undefined;
  private oldKeys: OldOwnKey[] = [];

  constructor(
    private readonly serverName: string,
    private readonly key: ServerSigningKey,
    private readonly now: () => number = Date.now,
  ) {}

  /** Keys used before a rotation (storage/own-keys.ts); they stay published as old_verify_keys. */
  setOldKeys(keys: readonly OldOwnKey[]): void {
    // The current key may have been recorded as old by a rotation that crashed before the new key
    // file was written; it is still current.
    this.oldKeys = keys.filter((k) => k.keyId !== this.key.keyId);
    this.doc = undefined;
  }

  current(): ServerKeyDocument {
    const now = this.now();
    let doc = this.doc;
    if (!doc || doc.valid_until_ts - now < KEY_VALIDITY_MS / 2) {
      doc = signJson(
        {
          server_name: this.serverName,
          valid_until_ts: now + KEY_VALIDITY_MS,
          verify_keys: { [this.key.keyId]: { key: this.key.publicKey } },
          old_verify_keys: Object.fromEntries(this.oldKeys.map((k) => [k.keyId, { key: k.publicKey, expired_ts: k.expiredTs }])),
        },
        this.serverName,
        this.key.keyId,
        this.key.seed,
      );
      this.doc = doc;
    }
    return doc;
  }

  /** Our keys as the key ring sees other servers' keys: the current one never expires for us. */
  ownKeys(): Map<string, KnownKey> {
    const keys = new Map<string, KnownKey>(this.oldKeys.map((k) => [k.keyId, { publicKey: k.publicKey, validUntilTs: k.expiredTs, expiredTs: k.expiredTs }]));
    keys.set(this.key.keyId, { publicKey: this.key.publicKey, validUntilTs: Number.MAX_SAFE_INTEGER, expiredTs: null });
    return keys;
  }
}
