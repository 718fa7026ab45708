import { promises as dns } from 'node:dns';

export interface SrvRecord {
  name: string;
  port: number;
  priority: number;
  weight: number;
}

/** Looks up SRV records; resolves to [] when there are none. Injectable so tests need no DNS. */
export type SrvLookup = (name: string) => Promise<SrvRecord[]>;

const NO_RECORDS = new Set(['ENOTFOUND', 'ENODATA', 'ENONAME', 'NXDOMAIN']);

export const systemSrvLookup: SrvLookup = async (name) => {
  try {
    return await dns.resolveSrv(name);
  } catch (err) {
    if (NO_RECORDS.has((err as NodeJS.ErrnoException).code ?? '')) return [];
    throw err;
  }
};

/** Thrown when the records say the service is decidedly not available (RFC 2782: target "."). */
export class SrvUnavailableError extends Error {
  override name = 'SrvUnavailableError';
}

/**
 * RFC 2782 target selection: the lowest priority wins; among equals, a weighted random pick.
 * Undefined when there are no records.
 */
export function pickSrvTarget(records: readonly SrvRecord[], random: () => number = Math.random): SrvRecord | undefined {
  const usable = records.filter((r) => r.name !== '' && r.name !== '.');
  if (usable.length === 0) {
    if (records.length > 0) throw new SrvUnavailableError('the SRV record says the service is not available');
    return undefined;
  }
  const best = Math.min(...usable.map((r) => r.priority));
  const candidates = usable.filter((r) => r.priority === best);
  const total = candidates.reduce((sum, r) => sum + r.weight, 0);
  if (total === 0) return candidates[Math.floor(random() * candidates.length)]!;
  let pick = random() * total;
  for (const r of candidates) {
    pick -= r.weight;
    if (pick < 0) return r;
  }
  return candidates[candidates.length - 1]!;
}
