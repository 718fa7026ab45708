import type { Knex } from 'knex';
import type { JsonObject } from '../../../core/json.js';
import { MAX_KEY_VALIDITY_MS, type ServerKeys } from '../keys/server-keys.js';
import { fromJsonColumn } from './json.js';

const T = 'federation_remote_server_keys';

/** One verify key of another server, as far as we trust it. */
export interface KnownKey {
  publicKey: string;
  /** Until when the key signs validly: the document's valid_until_ts, at most 7 days after fetching. */
  validUntilTs: number;
  /** Set for keys the server lists as old: they only vouch for what was signed before this. */
  expiredTs: number | null;
}

export class RemoteKeyStore {
  constructor(private readonly db: Knex) {}

  async keysOf(serverName: string): Promise<Map<string, KnownKey>> {
    const rows = (await this.db(T).where({ server_name: serverName }).select('key_id', 'public_key', 'valid_until_ts', 'expired_ts')) as Array<{
      key_id: string;
      public_key: string;
      valid_until_ts: number;
      expired_ts: number | null;
    }>;
    return new Map(rows.map((r) => [r.key_id, { publicKey: r.public_key, validUntilTs: Number(r.valid_until_ts), expiredTs: r.expired_ts === null ? null : Number(r.expired_ts) }]));
  }

  /**
   * Stores every key of a checked document. A key already known from a fresher document (a later
   * valid_until_ts) is left as it is, so a notary's stale copy cannot roll back what we know.
   */
  async store(keys: ServerKeys, fetchedAt: number): Promise<void> {
    const validUntil = Math.min(keys.validUntilTs, fetchedAt + MAX_KEY_VALIDITY_MS);
    const json = JSON.stringify(keys.document);
    const row = (keyId: string, publicKey: string, expiredTs: number | null) => ({
      server_name: keys.serverName,
      key_id: keyId,
      public_key: publicKey,
      valid_until_ts: validUntil,
      expired_ts: expiredTs,
      fetched_at: fetchedAt,
      key_json: json,
    });
    const rows = [
      ...[...keys.verifyKeys].map(([id, pk]) => row(id, pk, null)),
      // A key listed both ways is current: old_verify_keys must not shadow it.
      ...[...keys.oldVerifyKeys].filter(([id]) => !keys.verifyKeys.has(id)).map(([id, k]) => row(id, k.key, k.expiredTs)),
    ];
    if (rows.length === 0) return;
    await this.db(T).insert(rows).onConflict(['server_name', 'key_id']).merge().where(`${T}.valid_until_ts`, '<=', validUntil);
  }

  /**
   * The distinct documents holding any of `keyIds` (all keys when empty), each with when we got
   * it, for answering as a notary.
   */
  async documentsOf(serverName: string, keyIds: readonly string[]): Promise<Array<{ document: JsonObject; fetchedAt: number }>> {
    let q = this.db(T).where({ server_name: serverName });
    if (keyIds.length > 0) q = q.whereIn('key_id', [...keyIds]);
    const rows = (await q.select('key_json', 'fetched_at')) as Array<{ key_json: unknown; fetched_at: number }>;
    const seen = new Map<string, { document: JsonObject; fetchedAt: number }>();
    for (const r of rows) {
      const document = fromJsonColumn<JsonObject>(r.key_json);
      const key = JSON.stringify(document);
      const fetchedAt = Math.max(Number(r.fetched_at), seen.get(key)?.fetchedAt ?? 0);
      seen.set(key, { document, fetchedAt });
    }
    return [...seen.values()];
  }
}
