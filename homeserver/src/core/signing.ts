import { Buffer } from 'node:buffer';
import { createPrivateKey, createPublicKey, randomBytes, sign, verify, type KeyObject } from 'node:crypto';
import { decodeBase64, encodeBase64 } from './base64.js';
import { canonicalJsonBytes } from './canonical-json.js';
import { LruCache } from '../util/lru.js';

/**
 * Ed25519 signing of bytes and of JSON objects (appendix "Signing JSON"). Keys travel as the raw
 * 32-byte seed and 32-byte public key; node:crypto wants DER, so they are wrapped in the fixed
 * PKCS#8 / SPKI headers for Ed25519 (RFC 8410).
 */

const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const KEY_BYTES = 32;
const SIGNATURE_BYTES = 64;

/** `ed25519:` plus a version of `[a-zA-Z0-9_]` (server-server keys definition). */
const OWN_KEY_ID = /^ed25519:[a-zA-Z0-9_]+$/;
const ED25519_PREFIX = 'ed25519:';

// Building a KeyObject parses DER and costs far more than the signature check itself, and the
// same few hundred remote keys verify nearly every event, so recently used ones are kept.
const KEY_CACHE_SIZE = 2048;
const privateKeys = new LruCache<string, KeyObject>(KEY_CACHE_SIZE);
const publicKeys = new LruCache<string, KeyObject>(KEY_CACHE_SIZE);

function privateKeyObject(seed: Uint8Array): KeyObject {
  if (seed.byteLength !== KEY_BYTES) throw new TypeError(`an Ed25519 seed is ${KEY_BYTES} bytes`);
  const cacheKey = Buffer.from(seed.buffer, seed.byteOffset, seed.byteLength).toString('base64');
  let key = privateKeys.get(cacheKey);
  if (key === undefined) {
    key = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' });
    privateKeys.set(cacheKey, key);
  }
  return key;
}

/** The KeyObject for an unpadded-base64 public key, or undefined when it is not one. */
function publicKeyObject(publicKeyBase64: string): KeyObject | undefined {
  let key = publicKeys.get(publicKeyBase64);
  if (key !== undefined) return key;
  let raw: Buffer;
  try {
    raw = decodeBase64(publicKeyBase64);
  } catch {
    return undefined;
  }
  if (raw.length !== KEY_BYTES) return undefined;
  try {
    key = createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, raw]), format: 'der', type: 'spki' });
  } catch {
    return undefined;
  }
  publicKeys.set(publicKeyBase64, key);
  return key;
}

export interface SigningKey {
  seed: Buffer;
  /** Unpadded standard base64. */
  publicKey: string;
}

export function generateSigningKey(): SigningKey {
  const seed = randomBytes(KEY_BYTES);
  return { seed, publicKey: publicKeyFromSeed(seed) };
}

/** The unpadded-base64 public key of a 32-byte seed. */
export function publicKeyFromSeed(seed: Uint8Array): string {
  const spki = createPublicKey(privateKeyObject(seed)).export({ format: 'der', type: 'spki' });
  return encodeBase64(spki.subarray(spki.length - KEY_BYTES));
}

/** Unpadded-base64 Ed25519 signature of `data`. */
export function signBytes(seed: Uint8Array, data: Uint8Array | string): string {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  return encodeBase64(sign(null, bytes, privateKeyObject(seed)));
}

/** False, never a throw, for anything malformed: keys and signatures come from other servers. */
export function verifyBytes(publicKeyBase64: string, data: Uint8Array | string, signatureBase64: string): boolean {
  if (typeof publicKeyBase64 !== 'string' || typeof signatureBase64 !== 'string') return false;
  const key = publicKeyObject(publicKeyBase64);
  if (key === undefined) return false;
  let signature: Buffer;
  try {
    signature = decodeBase64(signatureBase64);
  } catch {
    return false;
  }
  if (signature.length !== SIGNATURE_BYTES) return false;
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  try {
    return verify(null, bytes, key, signature);
  } catch {
    return false;
  }
}

/** The object as it is signed: everything except `signatures` and `unsigned`. */
function signedPart(obj: object): Record<string, unknown> {
  // Spread, not a loop of assignments: a `__proto__` key from JSON.parse must stay a plain key.
  const out: Record<string, unknown> = { ...obj };
  delete out['signatures'];
  delete out['unsigned'];
  return out;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Names come from the network; inherited properties such as `constructor` must not count. */
function ownField(obj: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}

/** `signatures[entity][keyId]`: unpadded-base64 signatures by signing entity and key. */
export type Signatures = Record<string, Record<string, string>>;

/**
 * A copy of `obj` with this server's signature under `signatures[signingName][keyId]`; other
 * signatures and `unsigned` are kept but not covered. Throws CanonicalJsonError for values that
 * have no canonical encoding.
 */
export function signJson<T extends object>(
  obj: T,
  signingName: string,
  keyId: string,
  seed: Uint8Array,
): T & { signatures: Signatures } {
  if (!OWN_KEY_ID.test(keyId)) throw new TypeError(`not an ed25519 key ID: ${keyId}`);
  const signature = signBytes(seed, canonicalJsonBytes(signedPart(obj)));
  const existing = (obj as Record<string, unknown>)['signatures'];
  const signatures: Record<string, unknown> = isRecord(existing) ? { ...existing } : {};
  const forName = ownField(signatures, signingName);
  // defineProperty, not assignment: a signing name of `__proto__` must stay an ordinary key.
  Object.defineProperty(signatures, signingName, {
    value: { ...(isRecord(forName) ? forName : {}), [keyId]: signature },
    enumerable: true,
    writable: true,
    configurable: true,
  });
  return { ...obj, signatures } as T & { signatures: Signatures };
}

/** One Ed25519 check: the raw 32-byte public key, the signed bytes and the 64-byte signature. */
export interface SignatureJob {
  publicKey: Buffer;
  data: Buffer;
  signature: Buffer;
}

/**
 * What checking `obj`'s signature by `signingName` with `keyId` comes down to, ready to verify
 * here (verifyJob) or on another thread; undefined when it could not verify whatever the bytes
 * (no such signature, an unknown algorithm, a malformed key or signature, no canonical encoding).
 * `signedBytes`, when the caller has them already, are the canonical JSON of `obj` without
 * `signatures` and `unsigned`; only `obj`'s signatures are read then.
 */
export function jsonSignatureJob(obj: object, signingName: string, keyId: string, publicKeyBase64: string, signedBytes?: Buffer): SignatureJob | undefined {
  if (!keyId.startsWith(ED25519_PREFIX) || keyId.length === ED25519_PREFIX.length) return undefined;
  const signatures = (obj as Record<string, unknown>)['signatures'];
  if (!isRecord(signatures)) return undefined;
  const forName = ownField(signatures, signingName);
  if (!isRecord(forName)) return undefined;
  const signatureBase64 = ownField(forName, keyId);
  if (typeof signatureBase64 !== 'string' || typeof publicKeyBase64 !== 'string') return undefined;
  let publicKey: Buffer;
  let signature: Buffer;
  let data: Buffer;
  try {
    publicKey = decodeBase64(publicKeyBase64);
    signature = decodeBase64(signatureBase64);
    data = signedBytes ?? canonicalJsonBytes(signedPart(obj));
  } catch {
    return undefined;
  }
  if (publicKey.length !== KEY_BYTES || signature.length !== SIGNATURE_BYTES) return undefined;
  return { publicKey, data, signature };
}

/** Verifies a prepared check on this thread. */
export function verifyJob(job: SignatureJob): boolean {
  const key = publicKeyObject(encodeBase64(job.publicKey));
  if (key === undefined) return false;
  try {
    return verify(null, job.data, key, job.signature);
  } catch {
    return false;
  }
}

/**
 * Whether `obj` carries a valid signature by `signingName` with `keyId` (appendix "Checking for a
 * Signature"). Missing signatures, unknown algorithms and values without a canonical encoding all
 * give false.
 */
export function verifyJson(obj: object, signingName: string, keyId: string, publicKeyBase64: string): boolean {
  const job = jsonSignatureJob(obj, signingName, keyId, publicKeyBase64);
  return job !== undefined && verifyJob(job);
}
