import { stateKey } from '../../../core/events.js';
import type { JsonObject } from '../../../core/json.js';
import { redact } from '../../../core/redaction.js';
import { errors } from '../../../http/errors.js';
import type { StoredEvent } from '../storage/events.js';
import { serverOf } from '../hosts.js';
import { authChainOf } from './auth-chain.js';
import type { RoomFederationContext } from './context.js';

/**
 * What other servers may read of our copy of a room: events, state at an event, auth chains,
 * missing events and backfill. A server sees a room's events while one of its users is in the room
 * (or the room is world-readable); an event from before a server's users could see the room, by
 * the room's history visibility, is served redacted.
 */
export class ServedHistory {
  constructor(private readonly ctx: RoomFederationContext) {}

  async requireInRoom(origin: string, roomId: string): Promise<void> {
    const info = await this.ctx.infos.get(roomId);
    if (!info) throw errors.notFound('This server is not in the room');
    if ((await this.ctx.hosts.joinedServers(roomId)).includes(origin)) return;
    if ((await this.visibilityAt(info.state.get(stateKey('m.room.history_visibility', '')))) === 'world_readable') return;
    throw errors.forbidden('The requesting server is not in the room');
  }

  private async visibilityAt(eventId: string | undefined): Promise<string> {
    if (!eventId) return 'shared';
    const v = (await this.ctx.events.get(eventId))?.pdu.content.history_visibility;
    return typeof v === 'string' ? v : 'shared';
  }

  /** The event as it goes over federation, redacted when the origin may not see it. */
  private async serve(origin: string, events: readonly StoredEvent[]): Promise<JsonObject[]> {
    const out: JsonObject[] = [];
    const rv = events[0] ? (await this.ctx.infos.get(events[0].roomId))?.version : undefined;
    for (const e of events) {
      if (!rv || (await this.mayServerSee(origin, e))) out.push(e.pdu as unknown as JsonObject);
      else out.push(redact(e.pdu, rv));
    }
    return out;
  }

  private async mayServerSee(origin: string, e: StoredEvent): Promise<boolean> {
    if (e.stateBefore === null) return true;
    const state = await this.ctx.groups.get(e.stateBefore);
    const visibility = await this.visibilityAt(state.get(stateKey('m.room.history_visibility', '')));
    if (visibility === 'world_readable' || visibility === 'shared') return true;
    const ids = [...state].filter(([k]) => k.startsWith('m.room.member\u0000') && serverOf(k.slice('m.room.member\u0000'.length)) === origin).map(([, id]) => id);
    const members = await this.ctx.events.getMany(ids);
    for (const m of members.values()) {
      const membership = m.pdu.content.membership;
      if (membership === 'join' || (visibility === 'invited' && membership === 'invite')) return true;
    }
    return false;
  }

  async event(origin: string, eventId: string): Promise<JsonObject> {
    const e = await this.ctx.events.get(eventId);
    if (!e) throw errors.notFound('Event not found');
    await this.requireInRoom(origin, e.roomId);
    return (await this.serve(origin, [e]))[0]!;
  }

  private async eventInRoom(roomId: string, eventId: string): Promise<StoredEvent> {
    const e = await this.ctx.events.get(eventId);
    if (!e || e.roomId !== roomId) throw errors.notFound('Event not found');
    return e;
  }

  async state(origin: string, roomId: string, eventId: string, idsOnly: boolean): Promise<JsonObject> {
    await this.requireInRoom(origin, roomId);
    const e = await this.eventInRoom(roomId, eventId);
    if (e.outlier || e.stateBefore === null) throw errors.notFound('The state at this event is not known to this server');
    const state = await this.ctx.groups.get(e.stateBefore);
    const ids = [...state.values()];
    const chain = await authChainOf(this.ctx.events, ids);
    if (idsOnly) return { pdu_ids: ids, auth_chain_ids: chain.map((c) => c.eventId) };
    const loaded = await this.ctx.events.getMany(ids);
    return { pdus: ids.flatMap((id) => (loaded.get(id) ? [loaded.get(id)!.pdu as unknown as JsonObject] : [])), auth_chain: chain.map((c) => c.pdu as unknown as JsonObject) };
  }

  async authChain(origin: string, roomId: string, eventId: string): Promise<JsonObject[]> {
    await this.requireInRoom(origin, roomId);
    const e = await this.eventInRoom(roomId, eventId);
    return (await authChainOf(this.ctx.events, [e.eventId])).map((c) => c.pdu as unknown as JsonObject);
  }

  /** Events between `earliest` and `latest`, walking prev_events back from `latest`, oldest first. */
  async missingEvents(origin: string, roomId: string, earliest: readonly string[], latest: readonly string[], limit: number, minDepth: number): Promise<JsonObject[]> {
    await this.requireInRoom(origin, roomId);
    const stop = new Set([...earliest, ...latest]);
    const found = await this.walkBack(roomId, latest, limit, (e) => !stop.has(e.eventId) && e.depth >= minDepth, false);
    return this.serve(origin, found.sort((a, b) => a.depth - b.depth || a.streamOrdering - b.streamOrdering));
  }

  /** `limit` events at and before `from`, newest first as the walk finds them. */
  async backfill(origin: string, roomId: string, from: readonly string[], limit: number): Promise<JsonObject[]> {
    await this.requireInRoom(origin, roomId);
    const found = await this.walkBack(roomId, from, limit, () => true, true);
    return this.serve(origin, found);
  }

  /** Breadth-first over prev_events from `start`, deepest first; `keep` bounds the walk. */
  private async walkBack(roomId: string, start: readonly string[], limit: number, keep: (e: StoredEvent) => boolean, includeStart: boolean): Promise<StoredEvent[]> {
    const out: StoredEvent[] = [];
    const seen = new Set<string>();
    let frontier: string[] = [];
    if (includeStart) frontier = [...start];
    else {
      const starts = await this.ctx.events.getMany(start);
      for (const s of starts.values()) if (s.roomId === roomId) frontier.push(...s.pdu.prev_events);
      for (const id of start) seen.add(id);
    }
    while (frontier.length > 0 && out.length < limit) {
      const batch = [...new Set(frontier)].filter((id) => !seen.has(id));
      frontier = [];
      for (const id of batch) seen.add(id);
      const loaded = [...(await this.ctx.events.getMany(batch)).values()]
        .filter((e) => e.roomId === roomId && !e.outlier && e.rejectedReason === null && keep(e))
        .sort((a, b) => b.depth - a.depth);
      for (const e of loaded) {
        if (out.length >= limit) break;
        out.push(e);
        frontier.push(...e.pdu.prev_events);
      }
    }
    return out;
  }
}
