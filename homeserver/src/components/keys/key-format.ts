import { decodeBase64 } from '../../core/base64.js';
import { canonicalJson } from '../../core/canonical-json.js';
import type { JsonObject } from '../../core/json.js';
import { MatrixError } from '../../http/errors.js';
import type { SignatureRow } from './storage/cross-signing.js';

/** Signed JSON compares equal when its canonical forms do; values without one never compare equal. */
export function sameJson(a: unknown, b: unknown): boolean {
  try {
    return canonicalJson(a) === canonicalJson(b);
  } catch {
    return false;
  }
}

/** What a signature covers: the object without `signatures` and `unsigned`. */
export function signedPart(o: object): Record<string, unknown> {
  const { signatures: _s, unsigned: _u, ...rest } = o as Record<string, unknown>;
  return rest;
}

export function withoutUnsigned<T extends object>(o: T): T {
  const { unsigned: _u, ...rest } = o as Record<string, unknown>;
  return rest as T;
}

/** An Ed25519 public key: unpadded base64 of 32 bytes. */
export function isEd25519Key(s: unknown): s is string {
  if (typeof s !== 'string') return false;
  try {
    return decodeBase64(s).length === 32;
  } catch {
    return false;
  }
}

/** `signatures[userId][keyId]` of an object, when it is a string. */
export function signatureOf(o: unknown, userId: string, keyId: string): string | undefined {
  const sigs = (o as { signatures?: unknown } | null)?.signatures;
  if (typeof sigs !== 'object' || sigs === null || !Object.hasOwn(sigs, userId)) return undefined;
  const forUser = (sigs as Record<string, unknown>)[userId];
  if (typeof forUser !== 'object' || forUser === null || !Object.hasOwn(forUser, keyId)) return undefined;
  const s = (forUser as Record<string, unknown>)[keyId];
  return typeof s === 'string' ? s : undefined;
}

/** The signatures of `userId` on an object, as key ID → signature. */
export function signaturesBy(o: unknown, userId: string): Array<[string, string]> {
  const sigs = (o as { signatures?: unknown } | null)?.signatures;
  if (typeof sigs !== 'object' || sigs === null || !Object.hasOwn(sigs, userId)) return [];
  const forUser = (sigs as Record<string, unknown>)[userId];
  if (typeof forUser !== 'object' || forUser === null) return [];
  return Object.entries(forUser).filter((e): e is [string, string] => typeof e[1] === 'string');
}

/** A copy of a stored key with signatures added later merged in. */
export function withSignatures(key: JsonObject, rows: readonly SignatureRow[] | undefined): JsonObject {
  if (!rows || rows.length === 0) return key;
  const base = typeof key.signatures === 'object' && key.signatures !== null && !Array.isArray(key.signatures) ? (key.signatures as JsonObject) : {};
  const signatures: JsonObject = { ...base };
  for (const r of rows) {
    const prev = signatures[r.signerUserId];
    const forUser: JsonObject = typeof prev === 'object' && prev !== null && !Array.isArray(prev) ? { ...prev } : {};
    forUser[r.signerKeyId] = r.signature;
    signatures[r.signerUserId] = forUser;
  }
  return { ...key, signatures };
}

export const keyErrors = {
  invalidSignature: (message: string) => new MatrixError(400, 'M_INVALID_SIGNATURE', message),
  missingParam: (message: string) => new MatrixError(400, 'M_MISSING_PARAM', message),
};
