import type { RoomVersion } from '../../../core/room-versions.js';
import { federationPath, type FederationApi } from '../../federation/api.js';
import type { Logger } from '../../../log/logger.js';
import { verifyPdus, type CheckedPdu } from './verify.js';

/** Most events fetched one by one before asking for the whole state instead. */
const SINGLE_FETCH_LIMIT = 25;
const FETCH_CONCURRENCY = 8;

/**
 * Reads of another server's copy of a room's DAG. Every event that comes back passes the format,
 * signature and hash checks; those that fail are dropped (and logged), never returned.
 */
export class RemoteRoom {
  constructor(
    private readonly federation: FederationApi,
    private readonly log: Logger,
  ) {}

  private async checked(server: string, values: unknown, rv: RoomVersion): Promise<CheckedPdu[]> {
    if (!Array.isArray(values)) return [];
    const results = await verifyPdus(values, rv, this.federation);
    const ok: CheckedPdu[] = [];
    for (const r of results) {
      if (r.ok) ok.push(r.event);
      else this.log.info({ server, eventId: r.eventId, error: r.error }, 'dropped an event fetched from another server');
    }
    return ok;
  }

  async event(server: string, eventId: string, rv: RoomVersion): Promise<CheckedPdu | undefined> {
    try {
      const res = await this.federation.client.requestJson<{ pdus?: unknown }>(server, { method: 'GET', path: federationPath`/_matrix/federation/v1/event/${eventId}` });
      const [event] = await this.checked(server, res.pdus, rv);
      return event?.eventId === eventId ? event : undefined;
    } catch (err) {
      this.log.debug({ err, server, eventId }, 'fetching an event failed');
      return undefined;
    }
  }

  /** Events by ID: one by one (bounded concurrency) when few, else through `/state` at `atEvent`. */
  async events(server: string, roomId: string, ids: readonly string[], rv: RoomVersion, atEvent?: string): Promise<CheckedPdu[]> {
    if (ids.length > SINGLE_FETCH_LIMIT && atEvent) {
      const state = await this.state(server, roomId, atEvent, rv);
      const wanted = new Set(ids);
      return [...state.pdus, ...state.authChain].filter((e) => wanted.has(e.eventId));
    }
    const out: CheckedPdu[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < ids.length) {
        const id = ids[next++]!;
        const e = await this.event(server, id, rv);
        if (e) out.push(e);
      }
    };
    await Promise.all(Array.from({ length: Math.min(FETCH_CONCURRENCY, ids.length) }, worker));
    return out;
  }

  async authChain(server: string, roomId: string, eventId: string, rv: RoomVersion): Promise<CheckedPdu[]> {
    const res = await this.federation.client.requestJson<{ auth_chain?: unknown }>(server, {
      method: 'GET',
      path: federationPath`/_matrix/federation/v1/event_auth/${roomId}/${eventId}`,
    });
    return this.checked(server, res.auth_chain, rv);
  }

  /** The state before `eventId` by ID, and the IDs of its auth chain. */
  async stateIds(server: string, roomId: string, eventId: string): Promise<{ pduIds: string[]; authChainIds: string[] }> {
    const res = await this.federation.client.requestJson<{ pdu_ids?: unknown; auth_chain_ids?: unknown }>(server, {
      method: 'GET',
      path: federationPath`/_matrix/federation/v1/state_ids/${roomId}`,
      query: { event_id: eventId },
    });
    const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
    return { pduIds: strings(res.pdu_ids), authChainIds: strings(res.auth_chain_ids) };
  }

  async state(server: string, roomId: string, eventId: string, rv: RoomVersion): Promise<{ pdus: CheckedPdu[]; authChain: CheckedPdu[] }> {
    const res = await this.federation.client.requestJson<{ pdus?: unknown; auth_chain?: unknown }>(server, {
      method: 'GET',
      path: federationPath`/_matrix/federation/v1/state/${roomId}`,
      query: { event_id: eventId },
      maxResponseBytes: 256 * 1024 * 1024,
    });
    const [pdus, authChain] = await Promise.all([this.checked(server, res.pdus, rv), this.checked(server, res.auth_chain, rv)]);
    return { pdus, authChain };
  }

  async missingEvents(server: string, roomId: string, earliest: readonly string[], latest: readonly string[], limit: number, rv: RoomVersion): Promise<CheckedPdu[]> {
    const res = await this.federation.client.requestJson<{ events?: unknown }>(server, {
      method: 'POST',
      path: federationPath`/_matrix/federation/v1/get_missing_events/${roomId}`,
      body: { earliest_events: earliest, latest_events: latest, limit, min_depth: 0 },
    });
    return this.checked(server, res.events, rv);
  }

  async backfill(server: string, roomId: string, from: readonly string[], limit: number, rv: RoomVersion): Promise<CheckedPdu[]> {
    const res = await this.federation.client.requestJson<{ pdus?: unknown }>(server, {
      method: 'GET',
      path: federationPath`/_matrix/federation/v1/backfill/${roomId}`,
      query: { v: [...from], limit: String(limit) },
    });
    return this.checked(server, res.pdus, rv);
  }
}
