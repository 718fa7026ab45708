import { parseServerName, type ServerName } from '../../../core/ids.js';
import type { ResolveTarget } from '../../../config/federation.js';
import { SingleFlight, TtlCache } from '../ttl-cache.js';
import { pickSrvTarget, type SrvLookup, type SrvRecord } from './srv.js';
import type { WellKnownAnswer } from './well-known.js';

/** Where and how to reach a server: the outcome of server-server "Resolving server names". */
export interface ResolvedServer {
  serverName: string;
  /** The address to connect to: an IP address, or a host name the system resolves (CNAME, AAAA, A). */
  host: string;
  port: number;
  /** The `Host` header to send. */
  hostHeader: string;
  /**
   * The name the certificate must be valid for, sent as SNI. Undefined when the certificate must be
   * valid for the IP address in `host`; no SNI is sent then.
   */
  tlsName: string | undefined;
  /**
   * Set when the operator named this target (`federation.resolve_override`): it is connected to
   * whatever its address, where everything discovery finds is kept off private and reserved ranges.
   */
  pinned?: true;
}

export class DiscoveryError extends Error {
  override name = 'DiscoveryError';
}

export const DEFAULT_FEDERATION_PORT = 8448;
const SRV_TTL_MS = 3600_000;
/** A failed lookup (a DNS timeout, say) is asked again sooner than a clear answer. */
const SRV_ERROR_TTL_MS = 5 * 60_000;

export interface ResolverDeps {
  /** Test networks: server name → host:port, bypassing discovery (config `federation.resolve_override`). */
  override: ReadonlyMap<string, ResolveTarget>;
  srv: SrvLookup;
  wellKnown: (hostname: string) => Promise<WellKnownAnswer>;
  now?: () => number;
  cacheSize?: number;
}

const bracketed = (name: ServerName): string => (name.kind === 'ipv6' ? `[${name.host}]` : name.host);

export class ServerResolver {
  private readonly wellKnownCache: TtlCache<string, string | null>;
  private readonly srvCache: TtlCache<string, SrvRecord[] | Error>;
  private readonly wellKnownFlight = new SingleFlight<string, string | undefined>();
  private readonly srvFlight = new SingleFlight<string, SrvRecord[]>();

  constructor(private readonly deps: ResolverDeps) {
    const now = deps.now ?? Date.now;
    this.wellKnownCache = new TtlCache(deps.cacheSize ?? 10_000, now);
    this.srvCache = new TtlCache(deps.cacheSize ?? 10_000, now);
  }

  async resolve(serverName: string): Promise<ResolvedServer> {
    const name = parseServerName(serverName);
    if (!name) throw new DiscoveryError(`${JSON.stringify(serverName)} is not a server name`);
    const override = this.deps.override.get(serverName);
    if (override) {
      return { serverName, host: override.host, port: override.port, hostHeader: serverName, tlsName: name.kind === 'dns' ? name.host : undefined, pinned: true };
    }
    // Step 1: an IP literal is used as it is; the certificate must name the IP address.
    if (name.kind !== 'dns') {
      return { serverName, host: name.host, port: name.port ?? DEFAULT_FEDERATION_PORT, hostHeader: serverName, tlsName: undefined };
    }
    // Step 2: a host name with an explicit port.
    if (name.port !== undefined) {
      return { serverName, host: name.host, port: name.port, hostHeader: serverName, tlsName: name.host };
    }
    // Step 3: delegation through /.well-known/matrix/server.
    const delegated = await this.wellKnown(name.host);
    if (delegated !== undefined) return this.delegated(serverName, delegated);
    // Steps 4-6: SRV records of the server name itself, else port 8448.
    const srv = await this.srvTarget(name.host);
    if (srv) return { serverName, host: srv.name, port: srv.port, hostHeader: name.host, tlsName: name.host };
    return { serverName, host: name.host, port: DEFAULT_FEDERATION_PORT, hostHeader: name.host, tlsName: name.host };
  }

  /** Step 3's sub-steps, for a valid `m.server` value. */
  private async delegated(serverName: string, mServer: string): Promise<ResolvedServer> {
    const d = parseServerName(mServer)!;
    if (d.kind !== 'dns') {
      return { serverName, host: d.host, port: d.port ?? DEFAULT_FEDERATION_PORT, hostHeader: mServer, tlsName: undefined };
    }
    if (d.port !== undefined) {
      return { serverName, host: d.host, port: d.port, hostHeader: `${bracketed(d)}:${d.port}`, tlsName: d.host };
    }
    const srv = await this.srvTarget(d.host);
    if (srv) return { serverName, host: srv.name, port: srv.port, hostHeader: d.host, tlsName: d.host };
    return { serverName, host: d.host, port: DEFAULT_FEDERATION_PORT, hostHeader: d.host, tlsName: d.host };
  }

  private async wellKnown(hostname: string): Promise<string | undefined> {
    const cached = this.wellKnownCache.get(hostname);
    if (cached !== undefined) return cached ?? undefined;
    return this.wellKnownFlight.run(hostname, async () => {
      const answer = await this.deps.wellKnown(hostname);
      this.wellKnownCache.set(hostname, answer.server ?? null, answer.ttlMs);
      return answer.server;
    });
  }

  /** `_matrix-fed._tcp`, then the deprecated `_matrix._tcp`. */
  private async srvTarget(hostname: string): Promise<SrvRecord | undefined> {
    for (const service of ['_matrix-fed._tcp', '_matrix._tcp']) {
      const records = await this.srvRecords(`${service}.${hostname}`);
      const target = pickSrvTarget(records);
      if (target) return target;
    }
    return undefined;
  }

  private async srvRecords(name: string): Promise<SrvRecord[]> {
    const cached = this.srvCache.get(name);
    if (cached !== undefined) return cached instanceof Error ? [] : cached;
    return this.srvFlight.run(name, async () => {
      try {
        const records = await this.deps.srv(name);
        this.srvCache.set(name, records, SRV_TTL_MS);
        return records;
      } catch (err) {
        this.srvCache.set(name, err as Error, SRV_ERROR_TTL_MS);
        return [];
      }
    });
  }
}
