import { Buffer } from 'node:buffer';

/**
 * Unpadded Base64 as the appendix defines it: RFC 4648 without the trailing `=`, in the standard
 * alphabet (keys, signatures, hashes) or the URL-safe one (event IDs from room version 4 on).
 */

export class Base64Error extends Error {
  override name = 'Base64Error';
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function encodeBase64(bytes: Uint8Array): string {
  const padded = asBuffer(bytes).toString('base64');
  let end = padded.length;
  while (end > 0 && padded.charCodeAt(end - 1) === 0x3d /* = */) end--;
  return end === padded.length ? padded : padded.slice(0, end);
}

/** Node's `base64url` output is already unpadded. */
export function encodeBase64Url(bytes: Uint8Array): string {
  return asBuffer(bytes).toString('base64url');
}

// One alphabet per string: a value mixing `+`/`/` with `-`/`_` was not produced by any encoder.
const STANDARD = /^[A-Za-z0-9+/]*={0,2}$/;
const URL_SAFE = /^[A-Za-z0-9_-]*={0,2}$/;

/**
 * Decodes standard or URL-safe Base64, with or without padding (the appendix asks decoders to
 * accept both). Non-zero bits in the last character are tolerated on purpose: other servers decode
 * that way, and refusing a signature they accept would make us disagree about which events are
 * valid.
 */
export function decodeBase64(s: string): Buffer {
  if (typeof s !== 'string') throw new Base64Error('base64 input must be a string');
  if (!STANDARD.test(s) && !URL_SAFE.test(s)) throw new Base64Error('invalid base64 character');
  const pad = s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0;
  const dataLength = s.length - pad;
  // A single leftover character carries only 6 bits, which cannot make up a byte.
  if (dataLength % 4 === 1) throw new Base64Error('invalid base64 length');
  if (pad > 0 && (s.length % 4 !== 0 || (dataLength % 4) + pad !== 4)) {
    throw new Base64Error('invalid base64 padding');
  }
  return Buffer.from(s, 'base64');
}
