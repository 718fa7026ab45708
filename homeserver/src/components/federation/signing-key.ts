import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { decodeBase64, encodeBase64 } from '../../core/base64.js';
import { generateSigningKey, publicKeyFromSeed } from '../../core/signing.js';

export interface ServerSigningKey {
  /** `ed25519:<version>` */
  readonly keyId: string;
  readonly seed: Buffer;
  /** Unpadded base64 of the public key. */
  readonly publicKey: string;
}

const ALPHANUMERIC = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

function newKeyVersion(): string {
  const bytes = randomBytes(4);
  return `a_${[...bytes].map((b) => ALPHANUMERIC[b % ALPHANUMERIC.length]).join('')}`;
}

/** A fresh key with a new random version, not yet written anywhere. */
export function newSigningKey(): ServerSigningKey {
  const { seed } = generateSigningKey();
  return { keyId: `ed25519:${newKeyVersion()}`, seed, publicKey: publicKeyFromSeed(seed) };
}

/**
 * The server's ed25519 key, in the one-line format Synapse uses (`ed25519 <version> <seed>`), so an
 * operator can move a key between servers. Made on first start; the file is readable by its owner only.
 */
export function loadOrCreateSigningKey(file: string): ServerSigningKey {
  let content: string | undefined;
  try {
    content = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (content === undefined) {
    const key = newSigningKey();
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, `ed25519 ${key.keyId.slice('ed25519:'.length)} ${encodeBase64(key.seed)}\n`, { mode: 0o600, flag: 'wx' });
    return key;
  }
  const line = content.split('\n').find((l) => l.trim() !== '');
  const parts = line?.trim().split(/\s+/) ?? [];
  if (parts.length !== 3 || parts[0] !== 'ed25519' || !/^[a-zA-Z0-9_]+$/.test(parts[1]!)) {
    throw new Error(`${file}: expected one line "ed25519 <version> <base64 seed>"`);
  }
  const seed = decodeBase64(parts[2]!);
  if (seed.length !== 32) throw new Error(`${file}: the seed must be 32 bytes`);
  return { keyId: `ed25519:${parts[1]}`, seed, publicKey: publicKeyFromSeed(seed) };
}
