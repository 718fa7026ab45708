import { canonicalJson } from '../canonical-json.js';
import { isJsonObject, type JsonObject } from '../json.js';
import { verifyBytes } from '../signing.js';

/**
 * Whether any `ed25519:` signature in `signed.signatures`, from any entity, verifies against any
 * of `publicKeys` (unpadded base64): third-party invites are signed by an identity server whose
 * entity name we cannot predict. Malformed parts count as non-matching, never as errors.
 */
export function anySignatureMatches(signed: JsonObject, publicKeys: readonly string[]): boolean {
  const signatures = signed['signatures'];
  if (!isJsonObject(signatures)) return false;
  const copy: JsonObject = {};
  for (const [k, v] of Object.entries(signed)) if (k !== 'signatures' && k !== 'unsigned') copy[k] = v;
  let data: string;
  try {
    data = canonicalJson(copy);
  } catch {
    return false;
  }
  for (const byEntity of Object.values(signatures)) {
    if (!isJsonObject(byEntity)) continue;
    for (const [keyId, signature] of Object.entries(byEntity)) {
      if (!keyId.startsWith('ed25519:') || typeof signature !== 'string') continue;
      if (publicKeys.some((key) => verifyBytes(key, data, signature))) return true;
    }
  }
  return false;
}
