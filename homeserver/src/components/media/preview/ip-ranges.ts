import { BlockList, isIP } from 'node:net';

/**
 * Ranges a URL preview must never reach: this host, private networks, link-local (cloud
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

/** Decides which resolved addresses a preview may connect to. */
export class IpGuard {
  private readonly denied = new BlockList();
  private readonly allowed = new BlockList();

  /** `allow`: CIDRs let through despite the deny list (tests, an intranet wiki). */
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
