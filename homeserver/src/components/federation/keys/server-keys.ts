import { verifyJson } from '../../../core/signing.js';
import { isJsonObject, type JsonObject } from '../../../core/json.js';

/**
 * A server's key document (`/_matrix/key/v2/server`, definitions/keys.yaml) as received from the
 * server itself or from a notary, checked before any of its keys is trusted.
 */
export interface ServerKeys {
  serverName: string;
  validUntilTs: number;
  verifyKeys: Map<string, string>;
  oldVerifyKeys: Map<string, { key: string; expiredTs: number }>;
  /** The document as received, signatures included, to serve again as a notary. */
  document: JsonObject;
}

const KEY_ID = /^ed25519:[a-zA-Z0-9_]+$/;
/**
 * The spec's cap: "Servers MUST use the lesser of this field and 7 days into the future", so a
 * stolen key published with a far-off expiry cannot stay trusted beyond a week.
 */
export const MAX_KEY_VALIDITY_MS = 7 * 24 * 3600_000;

/** A reason when `doc` is not a well-formed key document of `serverName`, else the parsed keys. */
export function parseServerKeys(doc: unknown, serverName: string): ServerKeys | string {
  if (!isJsonObject(doc)) return 'not a JSON object';
  if (doc['server_name'] !== serverName) return `server_name is ${JSON.stringify(doc['server_name'])}, not ${serverName}`;
  const validUntil = doc['valid_until_ts'];
  if (typeof validUntil !== 'number' || !Number.isSafeInteger(validUntil)) return 'valid_until_ts must be an integer';
  const verify = doc['verify_keys'];
  if (!isJsonObject(verify)) return 'verify_keys must be an object';
  const verifyKeys = new Map<string, string>();
  for (const [id, v] of Object.entries(verify)) {
    // Keys of algorithms we do not know are skipped, not fatal: a server may publish more.
    if (!id.startsWith('ed25519:')) continue;
    if (!KEY_ID.test(id) || !isJsonObject(v) || typeof v['key'] !== 'string') return `verify_keys.${id} is malformed`;
    verifyKeys.set(id, v['key']);
  }
  const oldVerifyKeys = new Map<string, { key: string; expiredTs: number }>();
  const old = doc['old_verify_keys'];
  if (old !== undefined) {
    if (!isJsonObject(old)) return 'old_verify_keys must be an object';
    for (const [id, v] of Object.entries(old)) {
      if (!id.startsWith('ed25519:')) continue;
      if (!KEY_ID.test(id) || !isJsonObject(v) || typeof v['key'] !== 'string' || typeof v['expired_ts'] !== 'number' || !Number.isSafeInteger(v['expired_ts'])) {
        return `old_verify_keys.${id} is malformed`;
      }
      oldVerifyKeys.set(id, { key: v['key'], expiredTs: v['expired_ts'] });
    }
  }
  if (!isJsonObject(doc['signatures'])) return 'signatures must be an object';
  return { serverName, validUntilTs: validUntil, verifyKeys, oldVerifyKeys, document: doc };
}

/**
 * Whether the document is signed by the server itself: every signature of the server made with
 * one of its current verify keys must hold, and there must be at least one. Signatures by keys not
 * in verify_keys are left aside (an old key cannot vouch for the current list).
 */
export function checkSelfSigned(keys: ServerKeys): string | undefined {
  const own = (keys.document['signatures'] as JsonObject)[keys.serverName];
  if (!isJsonObject(own)) return `not signed by ${keys.serverName}`;
  let verified = 0;
  for (const keyId of Object.keys(own)) {
    const publicKey = keys.verifyKeys.get(keyId);
    if (publicKey === undefined) continue;
    if (!verifyJson(keys.document, keys.serverName, keyId, publicKey)) return `the signature with ${keyId} does not verify`;
    verified++;
  }
  return verified > 0 ? undefined : `not signed by any verify key of ${keys.serverName}`;
}

/** Whether a notary signed the document with one of the given keys (keyId → public key). */
export function signedByNotary(keys: ServerKeys, notary: string, notaryKeys: ReadonlyMap<string, string>): boolean {
  const sigs = (keys.document['signatures'] as JsonObject)[notary];
  if (!isJsonObject(sigs)) return false;
  return Object.keys(sigs).some((keyId) => {
    const pk = notaryKeys.get(keyId);
    return pk !== undefined && verifyJson(keys.document, notary, keyId, pk);
  });
}
