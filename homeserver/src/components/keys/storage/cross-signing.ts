import type { Knex } from '../../../db/database.js';
import type { JsonObject } from '../../../core/json.js';
import type { CrossSigningUsage } from '../schemas.js';

const KEYS = 'keys_cross_signing';
const SIGS = 'keys_signatures';

export interface StoredCrossSigningKey {
  usage: CrossSigningUsage;
  publicKey: string;
  key: JsonObject;
}

export interface SignatureRow {
  targetUserId: string;
  /** A device ID, or a master key's public key. */
  targetKeyId: string;
  signerUserId: string;
  signerKeyId: string;
  signature: string;
}

/** The users' cross-signing keys, by user then usage. */
export async function crossSigningKeysOf(db: Knex, userIds: readonly string[], usages?: readonly CrossSigningUsage[]): Promise<Map<string, Map<CrossSigningUsage, StoredCrossSigningKey>>> {
  const out = new Map<string, Map<CrossSigningUsage, StoredCrossSigningKey>>();
  if (userIds.length === 0) return out;
  const q = db(KEYS).whereIn('user_id', [...userIds]).select('user_id', 'usage', 'public_key', 'key_json');
  if (usages) q.whereIn('usage', [...usages]);
  const rows = (await q) as Array<{ user_id: string; usage: CrossSigningUsage; public_key: string; key_json: string }>;
  for (const r of rows) {
    let m = out.get(r.user_id);
    if (!m) out.set(r.user_id, (m = new Map()));
    m.set(r.usage, { usage: r.usage, publicKey: r.public_key, key: JSON.parse(r.key_json) as JsonObject });
  }
  return out;
}

export async function putCrossSigningKey(db: Knex, userId: string, usage: CrossSigningUsage, publicKey: string, key: JsonObject, now: number): Promise<void> {
  await db(KEYS)
    .insert({ user_id: userId, usage, public_key: publicKey, key_json: JSON.stringify(key), updated_ts: now })
    .onConflict(['user_id', 'usage'])
    .merge(['public_key', 'key_json', 'updated_ts']);
}

export async function deleteCrossSigningKeys(db: Knex, userId: string): Promise<void> {
  await db(KEYS).where({ user_id: userId }).delete();
  await db(SIGS).where({ target_user_id: userId }).orWhere({ signer_user_id: userId }).delete();
}

export async function putSignatures(db: Knex, rows: readonly SignatureRow[]): Promise<void> {
  if (rows.length === 0) return;
  await db(SIGS)
    .insert(rows.map((r) => ({ target_user_id: r.targetUserId, target_key_id: r.targetKeyId, signer_user_id: r.signerUserId, signer_key_id: r.signerKeyId, signature: r.signature })))
    .onConflict(['target_user_id', 'target_key_id', 'signer_user_id', 'signer_key_id'])
    .merge(['signature']);
}

/**
 * The added signatures on the users' keys that `viewer` may see: those the key's owner made (with
 * a device or a cross-signing key), and the viewer's own. Others' user-signing signatures stay
 * private to their signer, so nobody learns who verified whom.
 */
export async function visibleSignatures(db: Knex, userIds: readonly string[], viewer: string): Promise<SignatureRow[]> {
  if (userIds.length === 0) return [];
  const rows = (await db(SIGS)
    .whereIn('target_user_id', [...userIds])
    .andWhere((q) => q.whereRaw('signer_user_id = target_user_id').orWhere('signer_user_id', viewer))
    .select('target_user_id', 'target_key_id', 'signer_user_id', 'signer_key_id', 'signature')) as Array<Record<string, string>>;
  return rows.map((r) => ({
    targetUserId: r.target_user_id!,
    targetKeyId: r.target_key_id!,
    signerUserId: r.signer_user_id!,
    signerKeyId: r.signer_key_id!,
    signature: r.signature!,
  }));
}

/** Forgets signatures made with keys that are gone (replaced keys, deleted devices). */
export async function deleteSignaturesBy(db: Knex, signerUserId: string, signerKeyIds: readonly string[]): Promise<void> {
  if (signerKeyIds.length === 0) return;
  await db(SIGS).where({ signer_user_id: signerUserId }).whereIn('signer_key_id', [...signerKeyIds]).delete();
}

/** Forgets signatures on devices that are gone. */
export async function deleteSignaturesOn(db: Knex, userId: string, targetKeyIds: readonly string[]): Promise<void> {
  if (targetKeyIds.length === 0) return;
  await db(SIGS).where({ target_user_id: userId }).whereIn('target_key_id', [...targetKeyIds]).delete();
}
