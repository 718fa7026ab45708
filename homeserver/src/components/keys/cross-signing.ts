import type { Context } from 'koa';
import type { JsonObject } from '../../core/json.js';
import { verifyJson } from '../../core/signing.js';
import type { Requester } from '../../http/auth.js';
import { errors } from '../../http/errors.js';
import type { KeysContext } from './context.js';
import type { DeviceLists, KeyChange } from './device-lists.js';
import { isEd25519Key, keyErrors, sameJson, signatureOf, signaturesBy, signedPart } from './key-format.js';
import type { CrossSigningKey, CrossSigningUsage } from './schemas.js';
import { crossSigningKeysOf, deleteSignaturesBy, deleteSignaturesOn, putCrossSigningKey, putSignatures, type SignatureRow, type StoredCrossSigningKey } from './storage/cross-signing.js';
import { deviceKeysOf } from './storage/device-keys.js';

export interface SigningKeysUpload {
  master_key?: CrossSigningKey | undefined;
  self_signing_key?: CrossSigningKey | undefined;
  user_signing_key?: CrossSigningKey | undefined;
  auth?: unknown;
}

const FIELDS: Array<[keyof SigningKeysUpload, CrossSigningUsage]> = [
  ['master_key', 'master'],
  ['self_signing_key', 'self_signing'],
  ['user_signing_key', 'user_signing'],
];

/** The public key of a cross-signing key: its only entry, `ed25519:<key>` → `<key>`. */
function publicKeyOf(key: CrossSigningKey, userId: string, usage: CrossSigningUsage): string {
  const entries = Object.entries(key.keys);
  const [id, value] = entries[0] ?? [];
  if (key.user_id !== userId || !key.usage.includes(usage) || entries.length !== 1 || id !== `ed25519:${value}` || !isEd25519Key(value)) {
    throw errors.invalidParam(`Invalid ${usage} key: it must be the requester's, have usage ${usage} and exactly one ed25519:<public key> entry`);
  }
  return value;
}

/**
 * POST /keys/device_signing/upload. The first master key needs no UIA; replacing any stored key
 * needs the account password. Uploading exactly the stored keys again is a no-op without UIA, so
 * a retried request does not prompt. Self-signing and user-signing keys must be signed by the
 * master key (the one uploaded with them, else the stored one).
 */
export async function uploadSigningKeys(k: KeysContext, deviceLists: DeviceLists, ctx: Context, requester: Requester, body: SigningKeysUpload): Promise<void> {
  const userId = requester.userId;
  const provided = new Map<CrossSigningUsage, { key: CrossSigningKey; publicKey: string }>();
  for (const [field, usage] of FIELDS) {
    const key = body[field] as CrossSigningKey | undefined;
    if (key) provided.set(usage, { key, publicKey: publicKeyOf(key, userId, usage) });
  }
  const stored: Map<CrossSigningUsage, StoredCrossSigningKey> = (await crossSigningKeysOf(k.db, [userId])).get(userId) ?? new Map();
  const master = provided.get('master') ?? stored.get('master');
  if (!master) throw keyErrors.missingParam('No master key available');
  for (const usage of ['self_signing', 'user_signing'] as const) {
    const p = provided.get(usage);
    if (p && !verifyJson(p.key, userId, `ed25519:${master.publicKey}`, master.publicKey)) {
      throw keyErrors.invalidSignature(`The ${usage} key is not signed by the master key`);
    }
  }
  // Device IDs and cross-signing public keys share one namespace in verification.
  const deviceIds = new Set(((await k.users.getDevicesOf([userId])).get(userId) ?? []).map((d) => d.deviceId));
  for (const p of provided.values()) if (deviceIds.has(p.publicKey)) throw errors.forbidden('Key ID in use');

  const changed = [...provided].filter(([usage, p]) => !sameJson(stored.get(usage)?.key, p.key));
  if (changed.length === 0) return;
  const uia = stored.has('master') ? await k.users.requirePassword(ctx, requester, body.auth, 'keys.device_signing.upload') : undefined;
  await k.db.transaction(async (trx) => {
    for (const [usage, p] of changed) {
      const old = stored.get(usage);
      // Signatures made with a replaced key cannot be checked any more; those on it show nowhere.
      if (old && old.publicKey !== p.publicKey) {
        await deleteSignaturesBy(trx, userId, [`ed25519:${old.publicKey}`]);
        await deleteSignaturesOn(trx, userId, [old.publicKey]);
      }
      await putCrossSigningKey(trx, userId, usage, p.publicKey, p.key as JsonObject, k.now());
    }
  });
  await uia?.finish();
  // A new user-signing key concerns only its owner; master and self-signing keys, everyone.
  const public_ = changed.some(([usage]) => usage !== 'user_signing');
  await deviceLists.keysChanged([public_ ? { userId, signingKeys: true } : { userId, onlyFor: userId }]);
}

class KeyFailure extends Error {
  constructor(
    readonly errcode: string,
    message: string,
  ) {
    super(message);
  }
  toJSON(): JsonObject {
    return { errcode: this.errcode, error: this.message };
  }
}

const invalidSignature = (message = 'Invalid signature'): KeyFailure => new KeyFailure('M_INVALID_SIGNATURE', message);
const notFound = (message: string): KeyFailure => new KeyFailure('M_NOT_FOUND', message);
const mismatch = (): KeyFailure => new KeyFailure('M_INVALID_PARAM', 'The signed object does not match the stored key');

/**
 * POST /keys/signatures/upload: signatures of the requester's devices by their self-signing key,
 * of their master key by their devices, and of other users' master keys by their user-signing
 * key. Each is checked against the stored key it signs; failures are reported per key.
 */
export async function uploadSignatures(k: KeysContext, deviceLists: DeviceLists, userId: string, body: Record<string, Record<string, Record<string, unknown>>>): Promise<{ failures: Record<string, Record<string, JsonObject>> }> {
  const targets = Object.keys(body);
  const [crossSigning, devices] = await Promise.all([crossSigningKeysOf(k.db, [userId, ...targets.filter((u) => u !== userId)]), Object.hasOwn(body, userId) ? deviceKeysOf(k.db, [userId]) : new Map()]);
  const own = crossSigning.get(userId);
  const ownDevices: Map<string, JsonObject> = devices.get(userId) ?? new Map();
  const failures: Record<string, Record<string, JsonObject>> = {};
  const rows: SignatureRow[] = [];
  const changes: KeyChange[] = [];

  const attempt = (target: string, keyId: string, check: () => SignatureRow[]): void => {
    try {
      rows.push(...check());
    } catch (err) {
      if (!(err instanceof KeyFailure)) throw err;
      (failures[target] ??= {})[keyId] = err.toJSON();
    }
  };

  for (const [keyId, signed] of Object.entries(body[userId] ?? {})) {
    attempt(userId, keyId, () => {
      const master = own?.get('master');
      if (master && keyId === master.publicKey) {
        // The master key, signed by the user's own devices.
        if (!sameJson(signedPart(signed), signedPart(master.key))) throw mismatch();
        const found: SignatureRow[] = [];
        for (const [sigKeyId, signature] of signaturesBy(signed, userId)) {
          if (sigKeyId === `ed25519:${master.publicKey}`) continue;
          const device = sigKeyId.startsWith('ed25519:') ? ownDevices.get(sigKeyId.slice('ed25519:'.length)) : undefined;
          const deviceKey = (device?.keys as Record<string, unknown> | undefined)?.[sigKeyId];
          if (typeof deviceKey !== 'string') throw invalidSignature(`${sigKeyId} is not a key of one of your devices`);
          if (!verifyJson(signed, userId, sigKeyId, deviceKey)) throw invalidSignature();
          found.push({ targetUserId: userId, targetKeyId: keyId, signerUserId: userId, signerKeyId: sigKeyId, signature });
        }
        if (found.length === 0) throw invalidSignature('No device signature of the master key');
        return found;
      }
      // One of the user's devices, signed by their self-signing key.
      const ssk = own?.get('self_signing');
      if (!ssk) throw notFound('No self-signing key');
      const device = ownDevices.get(keyId);
      if (!device) throw notFound('Unknown device');
      const sskId = `ed25519:${ssk.publicKey}`;
      const signature = signatureOf(signed, userId, sskId);
      if (signature === undefined) throw invalidSignature('No signature by the self-signing key');
      if (!sameJson(signedPart(signed), signedPart(device))) throw mismatch();
      if (!verifyJson(signed, userId, sskId, ssk.publicKey)) throw invalidSignature();
      return [{ targetUserId: userId, targetKeyId: keyId, signerUserId: userId, signerKeyId: sskId, signature }];
    });
  }

  for (const target of targets.filter((u) => u !== userId)) {
    for (const [keyId, signed] of Object.entries(body[target]!)) {
      attempt(target, keyId, () => {
        // Another user's master key, signed by the requester's user-signing key.
        const usk = own?.get('user_signing');
        if (!usk) throw notFound('No user-signing key');
        const master = crossSigning.get(target)?.get('master');
        if (!master || keyId !== master.publicKey) throw notFound('Unknown key');
        const uskId = `ed25519:${usk.publicKey}`;
        const signature = signatureOf(signed, userId, uskId);
        if (signature === undefined) throw invalidSignature('No signature by the user-signing key');
        if (!sameJson(signedPart(signed), signedPart(master.key))) throw mismatch();
        if (!verifyJson(signed, userId, uskId, usk.publicKey)) throw invalidSignature();
        return [{ targetUserId: target, targetKeyId: keyId, signerUserId: userId, signerKeyId: uskId, signature }];
      });
    }
  }

  await putSignatures(k.db, rows);
  const onOwn = rows.filter((r) => r.targetUserId === userId);
  if (onOwn.length > 0) {
    // Other servers learn of new signatures on the user's devices and master key too.
    const masterKey = own?.get('master')?.publicKey;
    const devices = [...new Set(onOwn.map((r) => r.targetKeyId).filter((id) => id !== masterKey))];
    changes.push({ userId, signingKeys: onOwn.some((r) => r.targetKeyId === masterKey), ...(devices.length > 0 ? { devices: { ids: devices, deleted: false } } : {}) });
  }
  for (const target of new Set(rows.map((r) => r.targetUserId).filter((u) => u !== userId))) changes.push({ userId: target, onlyFor: userId });
  await deviceLists.keysChanged(changes);
  return { failures };
}
