import type { Knex } from 'knex';

const T = 'federation_own_old_keys';

export interface OldOwnKey {
  keyId: string;
  publicKey: string;
  expiredTs: number;
}

export async function listOldOwnKeys(db: Knex): Promise<OldOwnKey[]> {
  const rows = (await db(T).select('key_id', 'public_key', 'expired_ts').orderBy('expired_ts')) as Array<{ key_id: string; public_key: string; expired_ts: number }>;
  return rows.map((r) => ({ keyId: r.key_id, publicKey: r.public_key, expiredTs: Number(r.expired_ts) }));
}

export async function addOldOwnKey(db: Knex, key: OldOwnKey): Promise<void> {
  await db(T).insert({ key_id: key.keyId, public_key: key.publicKey, expired_ts: key.expiredTs }).onConflict('key_id').merge(['expired_ts']);
}
