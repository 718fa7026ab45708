import { signJson } from '../../core/signing.js';
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

  constructor(
    private readonly serverName: string,
    private readonly key: ServerSigningKey,
    private readonly now: () => number = Date.now,
  ) {}

  current(): ServerKeyDocument {
    const now = this.now();
    let doc = this.doc;
    if (!doc || doc.valid_until_ts - now < KEY_VALIDITY_MS / 2) {
      doc = signJson(
        {
          server_name: this.serverName,
          valid_until_ts: now + KEY_VALIDITY_MS,
          verify_keys: { [this.key.keyId]: { key: this.key.publicKey } },
          old_verify_keys: {},
        },
        this.serverName,
        this.key.keyId,
        this.key.seed,
      );
      this.doc = doc;
    }
    return doc;
  }
}
