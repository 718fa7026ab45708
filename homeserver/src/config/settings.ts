import { BlockList, isIP } from 'node:net';
import { isValidServerName } from '../core/ids.js';
import { LOG_LEVELS, type LogLevel } from './config.js';

/**
 * Parsers for settings. Each takes a raw value (a YAML scalar or an environment string) and returns
 * a typed one, or throws a plain message; the loader adds the key's name.
 */

function text(raw: unknown): string {
  if (typeof raw === 'string') return raw;
  if (typeof raw === 'number' || typeof raw === 'boolean') return String(raw);
  throw new Error(`must be a string (got ${describe(raw)})`);
}

function describe(raw: unknown): string {
  return raw === null ? 'null' : Array.isArray(raw) ? 'a list' : typeof raw === 'object' ? 'a mapping' : JSON.stringify(raw);
}

export function integer(min: number, max: number): (raw: unknown) => number {
  return (raw) => {
    const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^-?\d+$/.test(raw.trim()) ? Number(raw) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      throw new Error(`must be a whole number from ${min} to ${max} (got ${describe(raw)})`);
    }
    return n;
  };
}

export function boolean(raw: unknown): boolean {
  if (typeof raw === 'boolean') return raw;
  const s = typeof raw === 'string' || typeof raw === 'number' ? String(raw).trim().toLowerCase() : '';
  if (['1', 'true', 'yes', 'on'].includes(s)) return true;
  if (['0', 'false', 'no', 'off', ''].includes(s) && raw !== null) return false;
  throw new Error(`must be true or false (1/0, yes/no) (got ${describe(raw)})`);
}

export function nonEmpty(raw: unknown): string {
  const s = text(raw).trim();
  if (s === '') throw new Error('must not be empty');
  return s;
}

export function optionalText(raw: unknown): string | undefined {
  if (raw === null || raw === undefined) return undefined;
  const s = text(raw);
  return s === '' ? undefined : s;
}

export function serverName(raw: unknown): string {
  const s = nonEmpty(raw);
  if (!isValidServerName(s)) throw new Error(`is not a valid Matrix server name (got ${JSON.stringify(s)})`);
  return s;
}

export function bindAddress(raw: unknown): string {
  const s = nonEmpty(raw);
  // An address, not a name: binding must not depend on DNS at start-up.
  const ipv4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (ipv4 && ipv4.slice(1).every((p) => Number(p) <= 255)) return s;
  if (s.includes(':') && /^[0-9a-fA-F:.]+$/.test(s)) return s;
  if (s === 'localhost') return '127.0.0.1';
  throw new Error(`must be an IPv4 or IPv6 address (got ${JSON.stringify(s)})`);
}

/** An optional URL whose scheme is one of `protocols`; `what` names the expectation in errors. */
function optionalUrl(raw: unknown, protocols: string[], what: string): URL | undefined {
  const s = optionalText(raw);
  if (s === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(s);
  } catch {
    throw new Error(`must be ${what} (got ${JSON.stringify(s)})`);
  }
  if (!protocols.includes(url.protocol)) throw new Error(`must be ${what} (got a ${url.protocol} URL)`);
  return url;
}

export function databaseUrl(raw: unknown): string | undefined {
  // Returned as written: pg reads the original text (percent-encoded passwords and all).
  return optionalUrl(raw, ['postgres:', 'postgresql:'], 'a postgres:// URL, or unset for the embedded database') && optionalText(raw);
}

export function httpUrl(raw: unknown): string | undefined {
  const url = optionalUrl(raw, ['http:', 'https:'], 'an http(s) URL');
  if (url === undefined) return undefined;
  return url.href.endsWith('/') ? url.href : `${url.href}/`;
}

export function logLevel(raw: unknown): LogLevel {
  const s = nonEmpty(raw).toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(s)) {
    throw new Error(`must be one of ${LOG_LEVELS.join(', ')} (got ${JSON.stringify(s)})`);
  }
  return s as LogLevel;
}

export function sharedSecret(raw: unknown): string | undefined {
  const s = optionalText(raw);
  // A short secret would make shared-secret registration guessable.
  if (s !== undefined && s.length < 16) throw new Error('must be at least 16 characters long');
  return s;
}

export function optionalPort(raw: unknown): number | undefined {
  if (raw === null || raw === undefined || raw === '') return undefined;
  return integer(0, 65535)(raw);
}

/** A YAML list, or a comma-separated string from the environment. */
function textList(raw: unknown): string[] {
  if (Array.isArray(raw)) return raw.map((x) => nonEmpty(x));
  return (optionalText(raw) ?? '')
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
}

/** CIDRs like 10.0.0.0/8 or fd00::/8 (a bare address is a single host), as a list. */
export function cidrList(raw: unknown): string[] {
  const items = textList(raw);
  const probe = new BlockList();
  for (const item of items) {
    const [address, prefix, extra] = item.split('/');
    const family = isIP(address ?? '');
    const bits = prefix === undefined ? (family === 6 ? 128 : 32) : Number(prefix);
    if (family === 0 || extra !== undefined || !Number.isInteger(bits) || bits < 0 || bits > (family === 6 ? 128 : 32)) {
      throw new Error(`entries must be CIDRs like 10.0.0.0/8 or fd00::/8 (got ${JSON.stringify(item)})`);
    }
    probe.addSubnet(address!, bits, family === 6 ? 'ipv6' : 'ipv4');
  }
  return items;
}
