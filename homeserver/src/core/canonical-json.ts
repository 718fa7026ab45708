import { Buffer } from 'node:buffer';

/**
 * Canonical JSON (appendix "Signing JSON > Canonical JSON"): the shortest UTF-8 encoding, object
 * keys sorted by Unicode code point, numbers only as integers within ±(2^53−1). Everything that is
 * hashed or signed goes through here, so it must be exact and cheap.
 */

export class CanonicalJsonError extends Error {
  override name = 'CanonicalJsonError';
}

/**
 * Containers may nest at most this deep. The encoder recurses, and a 64 KiB event can nest some
 * 32,000 arrays, enough to overflow the stack; real events nest a handful of levels. 128 is also
 * the default nesting limit of serde_json, which Rust homeservers parse events with, so deeper
 * events could not travel the federation reliably anyway. The bound also ends cyclic structures,
 * without keeping a set of visited objects on the hot path.
 */
export const MAX_NESTING_DEPTH = 128;

// Only surrogates make UTF-16 order differ from code point order (U+10000 and up sort above
// U+E000–U+FFFF by code point but below them by code unit).
const SURROGATE = /[\ud800-\udfff]/;

function codeUnitRank(c: number): number {
  if (c < 0xd800) return c;
  return c >= 0xe000 ? c - 0x800 : c + 0x2000;
}

/** Code point order for well-formed strings, comparing UTF-16 code units with surrogates lifted. */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(i);
    if (ca !== cb) return codeUnitRank(ca) - codeUnitRank(cb);
  }
  return a.length - b.length;
}

function sortKeys(keys: string[]): string[] {
  if (keys.length < 2) return keys;
  for (const k of keys) {
    if (SURROGATE.test(k)) return keys.sort(compareCodePoints);
  }
  // Default sort compares UTF-16 code units, which equals code point order without surrogates.
  return keys.sort();
}

function encodeString(s: string): string {
  // A lone surrogate has no UTF-8 encoding; JSON.stringify would emit a `\udXXX` escape that the
  // canonical grammar does not allow, and Buffer.from would silently substitute U+FFFD.
  if (!(s as unknown as { isWellFormed(): boolean }).isWellFormed()) {
    throw new CanonicalJsonError('string contains a lone surrogate');
  }
  // JSON.stringify escapes exactly what the grammar requires: `"`, `\`, \b \t \n \f \r, other
  // C0 controls as lower-case \u00XX, and nothing else.
  return JSON.stringify(s);
}

function encodeNumber(n: number): string {
  if (Number.isSafeInteger(n)) return String(n); // -0 becomes "0", which the spec requires.
  if (!Number.isFinite(n)) throw new CanonicalJsonError(`${n} is not a JSON number`);
  if (!Number.isInteger(n)) throw new CanonicalJsonError(`floats are not allowed: ${n}`);
  throw new CanonicalJsonError(`integer out of range ±(2^53−1): ${n}`);
}

/** The keys of a plain object in canonical order; throws for any other kind of object. */
function plainObjectKeys(obj: object): string[] {
  const proto: unknown = Object.getPrototypeOf(obj);
  if (proto !== Object.prototype && proto !== null) {
    throw new CanonicalJsonError('only plain objects and arrays can be encoded');
  }
  return sortKeys(Object.keys(obj));
}

function encode(value: unknown, depth: number): string {
  switch (typeof value) {
    case 'string':
      return encodeString(value);
    case 'number':
      return encodeNumber(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (value === null) return 'null';
      if (depth >= MAX_NESTING_DEPTH) {
        throw new CanonicalJsonError(`nested deeper than ${MAX_NESTING_DEPTH} levels (or cyclic)`);
      }
      if (Array.isArray(value)) {
        const n = value.length;
        if (n === 0) return '[]';
        let out = '[' + encode(value[0], depth + 1);
        for (let i = 1; i < n; i++) out += ',' + encode(value[i], depth + 1);
        return out + ']';
      }
      const obj = value as Record<string, unknown>;
      const keys = plainObjectKeys(obj);
      let out = '{';
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i]!;
        if (i > 0) out += ',';
        out += encodeString(k) + ':' + encode(obj[k], depth + 1);
      }
      return out + '}';
    }
    default:
      // undefined, functions, bigint, symbols: JSON has no value for them, and silently dropping
      // them (as JSON.stringify does) would sign something other than what the caller holds.
      throw new CanonicalJsonError(`${typeof value} cannot be encoded as JSON`);
  }
}

export function canonicalJson(value: unknown): string {
  return encode(value, 0);
}

export function canonicalJsonBytes(value: unknown): Buffer {
  return Buffer.from(encode(value, 0), 'utf8');
}

/**
 * The members of a plain object as canonical JSON writes them (`"key":value`), in canonical key
 * order: `'{' + members.join(',') + '}'` is canonicalJson(obj), and any subset of them joined the
 * same way, in the same order, is the canonical JSON of the object with only those keys. Throws
 * as canonicalJson(obj) would, the same error for the same value.
 */
export function canonicalJsonMembers(obj: object): { keys: string[]; members: string[] } {
  if (Array.isArray(obj)) throw new CanonicalJsonError('an array has no members');
  const record = obj as Record<string, unknown>;
  const keys = plainObjectKeys(record);
  const members = new Array<string>(keys.length);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    members[i] = encodeString(k) + ':' + encode(record[k], 1);
  }
  return { keys, members };
}
