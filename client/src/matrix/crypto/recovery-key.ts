/**
 * The recovery key's text form (Matrix spec, "Key representation"): base58 of 0x8B 0x01, the
 * 32 key bytes and a parity byte (XOR of all before it), shown in groups of four. An encoding
 * only; the key itself is made and used by matrix-sdk-crypto.
 */

const ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
const PREFIX = [0x8b, 0x01];

function base58Encode(bytes: Uint8Array): string {
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  let out = '';
  while (n > 0n) {
    out = ALPHABET[Number(n % 58n)]! + out;
    n /= 58n;
  }
  for (const b of bytes) {
    if (b !== 0) break;
    out = `1${out}`;
  }
  return out;
}

function base58Decode(text: string): Uint8Array {
  let n = 0n;
  for (const ch of text) {
    const v = ALPHABET.indexOf(ch);
    if (v < 0) throw new Error(`“${ch}” cannot appear in a recovery key`);
    n = n * 58n + BigInt(v);
  }
  const bytes: number[] = [];
  while (n > 0n) {
    bytes.unshift(Number(n & 0xffn));
    n >>= 8n;
  }
  for (const ch of text) {
    if (ch !== '1') break;
    bytes.unshift(0);
  }
  return Uint8Array.from(bytes);
}

export function encodeRecoveryKey(key: Uint8Array): string {
  if (key.length !== 32) throw new Error('A recovery key holds 32 bytes');
  const buf = new Uint8Array(PREFIX.length + key.length + 1);
  buf.set(PREFIX, 0);
  buf.set(key, PREFIX.length);
  buf[buf.length - 1] = buf.slice(0, -1).reduce((p, b) => p ^ b, 0);
  return base58Encode(buf).match(/.{1,4}/g)!.join(' ');
}

export function decodeRecoveryKey(text: string): Uint8Array {
  const buf = base58Decode(text.replace(/\s+/g, ''));
  if (buf.length !== PREFIX.length + 32 + 1 || buf[0] !== PREFIX[0] || buf[1] !== PREFIX[1]) {
    throw new Error('This is not a recovery key');
  }
  if (buf.reduce((p, b) => p ^ b, 0) !== 0) throw new Error('This recovery key has a typo');
  return buf.slice(PREFIX.length, -1);
}

export function bytesToBase64(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/=+$/, '');
}

export function base64ToBytes(b64: string): Uint8Array {
  const bin = atob(b64.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}
