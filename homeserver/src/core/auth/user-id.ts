import { parseUserId } from '../ids.js';

/** The part after the first colon: localparts cannot contain `:`, server names can (ports, IPv6). */
export function serverNameOf(id: string): string | undefined {
  const i = id.indexOf(':');
  return i < 0 ? undefined : id.slice(i + 1);
}

/** Auth rules must accept historical user IDs, which other servers still send. */
export function isValidUserId(value: unknown): value is string {
  return typeof value === 'string' && parseUserId(value, { historical: true }) !== null;
}
