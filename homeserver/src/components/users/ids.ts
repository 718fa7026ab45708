import { hash, randomBytes, randomInt } from 'node:crypto';
import { isValidLocalpart, parseUserId } from '../../core/ids.js';
import { MatrixError } from '../../http/errors.js';

export const usernameErrors = {
  invalid: (message: string) => new MatrixError(400, 'M_INVALID_USERNAME', message),
  inUse: () => new MatrixError(400, 'M_USER_IN_USE', 'User ID already taken.'),
};

/** The user ID for a localpart on this server, or M_INVALID_USERNAME when it cannot be one. */
export function userIdFor(localpart: string, serverName: string): string {
  if (localpart.length === 0) throw usernameErrors.invalid('User ID cannot be empty');
  if (!isValidLocalpart(localpart)) throw usernameErrors.invalid('User ID may only contain the characters a-z, 0-9, ".", "_", "=", "-", "/" and "+"');
  const userId = `@${localpart}:${serverName}`;
  if (Buffer.byteLength(userId, 'utf8') > 255) throw usernameErrors.invalid('User ID is too long');
  return userId;
}

/** A user ID given as `@local:server` or as a bare localpart; undefined when it is not ours. */
export function localUserId(idOrLocalpart: string, serverName: string): string | undefined {
  if (idOrLocalpart.startsWith('@')) {
    const parsed = parseUserId(idOrLocalpart);
    if (!parsed || parsed.serverName !== serverName) return undefined;
    return `@${parsed.localpart.toLowerCase()}:${serverName}`;
  }
  return `@${idOrLocalpart.toLowerCase()}:${serverName}`;
}

export function isLocalUser(userId: string, serverName: string): boolean {
  return parseUserId(userId)?.serverName === serverName;
}

/** Once per authenticated request: the one-shot hash skips createHash's object. */
export function sha256Hex(s: string): string {
  return hash('sha256', s, 'hex');
}

/** A bearer secret: a kind prefix, then 32 random bytes. */
export function newSecret(prefix: string): string {
  return `${prefix}${randomBytes(32).toString('base64url')}`;
}

const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const LOWER_DIGITS = 'abcdefghijklmnopqrstuvwxyz0123456789';

function randomString(alphabet: string, length: number): string {
  let s = '';
  for (let i = 0; i < length; i++) s += alphabet[randomInt(alphabet.length)];
  return s;
}

export function newDeviceId(): string {
  return randomString(UPPER, 10);
}

export function newLocalpart(): string {
  return `u${randomString(LOWER_DIGITS, 11)}`;
}

export function newOpaqueId(length = 24): string {
  return randomString(`${UPPER}${LOWER_DIGITS}`, length);
}
