import { lookup as systemLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';

/**
 * Ranges an outbound connection made on someone else's say-so (a URL preview, a remote media
 * download, a federation request to a server name) must never reach: this host, private networks, link-local (cloud
 * metadata services live there), carrier-grade NAT, multicast, documentation and other reserved
 * ranges, and the IPv6 ranges that embed or translate IPv4 addresses (NAT64, 6to4, Teredo) and
 * so could reach any of the former.
 */
const DENIED_V4 = [
  '0.0.0.0/8',
  '10.0.0.0/8',
  '100.64.0.0/10',
  '127.0.0.0/8',
  '169.254.0.0/16',
  '172.16.0.0/12',
  '192.0.0.0/24',
  '192.0.2.0/24',
  '192.88.99.0/24',
  '192.168.0.0/16',
  '198.18.0.0/15',
  '198.51.100.0/24',
  '203.0.113.0/24',
  '224.0.0.0/4',
  '240.0.0.0/4',
];
// No ::ffff:0:0/96 here: BlockList checks IPv4 addresses against IPv4-mapped rules, so that
// entry would deny every IPv4 address; mapped addresses are unmapped first instead.
const DENIED_V6 = [
  '::/96',
  '::1/128',
  '64:ff9b::/96',
  '64:ff9b:1::/48',
  '100::/64',
  '2001::/23',
  '2001:db8::/32',
  '2002::/16',
  'fc00::/7',
  'fe80::/10',
  'fec0::/10',
  'ff00::/8',
];

function subnets(list: BlockList, cidrs: readonly string[]): void {
  for (const cidr of cidrs) {
    const [address, prefix] = cidr.split('/') as [string, string | undefined];
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    list.addSubnet(address, Number(prefix ?? (family === 'ipv6' ? 128 : 32)), family);
  }
}

/** `::ffff:a.b.c.d` (and its hex form) is the IPv4 address a.b.c.d on a dual-stack socket. */
export function unmapIPv4(address: string): string {
  const lower = address.toLowerCase();
  const dotted = /^(?:0{0,4}:){0,5}(?:0{0,4}:)?ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower) ?? /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (dotted) return dotted[1]!;
  const hex = /^(?:0{0,4}:){0,5}:?ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  if (hex) {
    const hi = parseInt(hex[1]!, 16);
    const lo = parseInt(hex[2]!, 16);
    return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  return address;
}

/** Decides which resolved addresses an outbound connection may go to. */
export class IpGuard {
  private readonly denied = new BlockList();
  private readonly allowed = new BlockList();

  /** `allow`: CIDRs let through despite the deny list (tests, an intranet wiki, a private federation). */
  constructor(allow: readonly string[] = []) {
    subnets(this.denied, DENIED_V4);
    subnets(this.denied, DENIED_V6);
    subnets(this.allowed, allow);
  }

  isAllowed(address: string): boolean {
    const a = unmapIPv4(address.replace(/^\[|\]$/g, '').replace(/%.*$/, ''));
    const family = isIP(a);
    if (family === 0) return false;
    const type = family === 6 ? 'ipv6' : 'ipv4';
    if (this.allowed.check(a, type)) return true;
    return !this.denied.check(a, type);
  }
}

/** A connection refused because its address, or every address its host name has, is denied. */
export class DeniedAddressError extends Error {
  override name = 'DeniedAddressError';
  readonly code = 'ERR_ADDRESS_DENIED';
}

/** The system resolver's shape with `all: true`; replaceable in tests. */
export type AddressLookup = (
  hostname: string,
  options: Pick<LookupOptions, 'family' | 'hints'>,
  callback: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

const lookupAll: AddressLookup = (hostname, options, callback) => {
  systemLookup(hostname, { ...options, all: true, verbatim: true }, callback);
};

/**
 * A socket `lookup` (for net, tls and undici's `connect` options) that resolves with the system
 * resolver and hands the socket only the addresses `guard` allows, failing with
 * DeniedAddressError when none is left. The check happens at connect time on the very addresses
 * the socket uses, so a name re-pointed at a private address after an earlier check (DNS
 * rebinding) gains nothing. Sockets skip `lookup` for IP literals: check those before connecting.
 */
export function guardedLookup(guard: IpGuard, lookup: AddressLookup = lookupAll): LookupFunction {
  return (hostname, options, callback) => {
    lookup(hostname, { family: options.family, hints: options.hints }, (err, addresses) => {
      const none = options.all ? [] : '';
      if (err) {
        callback(err, none);
        return;
      }
      const allowed = addresses.filter((a) => guard.isAllowed(a.address));
      if (allowed.length > 0) {
        if (options.all) callback(null, allowed);
        else callback(null, allowed[0]!.address, allowed[0]!.family);
      } else if (addresses.length === 0) {
        callback(Object.assign(new Error(`${hostname} has no addresses`), { code: 'ENOTFOUND' }), none);
      } else {
        callback(new DeniedAddressError(`${hostname} resolves only to denied addresses (${addresses.map((a) => a.address).join(', ')})`), none);
      }
    });
  };
}
