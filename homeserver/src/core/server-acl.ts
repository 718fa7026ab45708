import { parseServerName } from './ids.js';

/**
 * Server ACLs (`m.room.server_acl`, client-server "Server Access Control Lists"): whether a server
 * may take part in a room at the federation level. The room layer reads the ACL event from the
 * room's current state and asks here; no ACL event means every server is allowed.
 */

export interface ServerAcl {
  /** Whether `serverName` (port ignored) may take part in the room. */
  allows(serverName: string): boolean;
}

/** `*` matches any run of characters, `?` exactly one (appendix "Glob-style matching"), case-insensitively. */
export function globToRegExp(glob: string): RegExp {
  let source = '';
  for (const ch of glob) {
    if (ch === '*') source += '.*';
    else if (ch === '?') source += '.';
    else source += ch.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 'isu');
}

function patterns(value: unknown): RegExp[] {
  // Entries that are not strings carry no meaning; a list that is not a list counts as empty.
  if (!Array.isArray(value)) return [];
  return value.filter((p): p is string => typeof p === 'string').map(globToRegExp);
}

/**
 * The server name without its port, as ACL entries are matched against: `[::1]:8448` → `[::1]`,
 * `example.org:8448` → `example.org`. Undefined for what is not a server name.
 */
function hostOf(serverName: string): { host: string; ipLiteral: boolean } | undefined {
  const parsed = parseServerName(serverName);
  if (!parsed) return undefined;
  const host = parsed.kind === 'ipv6' ? `[${parsed.host}]` : parsed.host;
  return { host, ipLiteral: parsed.kind !== 'dns' };
}

/**
 * Compiles the content of an `m.room.server_acl` event, applying the event's rules in order:
 * IP literals are refused when `allow_ip_literals` is false, then `deny` wins, then `allow`
 * decides, and a server matching neither is refused. Pass `undefined` when the room has no ACL.
 */
export function compileServerAcl(content: Record<string, unknown> | undefined): ServerAcl {
  if (content === undefined) return { allows: () => true };
  // Anything but a boolean means the default, true.
  const allowIpLiterals = content['allow_ip_literals'] !== false;
  const deny = patterns(content['deny']);
  const allow = patterns(content['allow']);
  return {
    allows(serverName) {
      const target = hostOf(serverName);
      if (!target) return false;
      if (target.ipLiteral && !allowIpLiterals) return false;
      if (deny.some((re) => re.test(target.host))) return false;
      return allow.some((re) => re.test(target.host));
    },
  };
}

/** One-off form of compileServerAcl(content).allows(serverName). */
export function isServerAllowedByAcl(content: Record<string, unknown> | undefined, serverName: string): boolean {
  return compileServerAcl(content).allows(serverName);
}
