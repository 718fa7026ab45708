import type { JsonObject } from '../../../core/json.js';
import { serverOf } from '../hosts.js';
import type { StoredEvent } from '../storage/events.js';
import type { RoomFederationContext } from './context.js';
import { receivedOverFederation } from './ingest.js';

/** Most events replayed at start when the queue lost track of some (a crash between persist and queue). */
const REPLAY_LIMIT = 5000;

/**
 * Sends the events our users make to every other server in the room, through the durable outbound
 * queue. Membership events also go to the server of the user they concern, which may have no one
 * left in the room after a kick or ban.
 */
export class OutboundEvents {
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly ctx: RoomFederationContext) {}

  observe(events: readonly StoredEvent[]): void {
    const ours = events.filter((e) => !receivedOverFederation.has(e) && !e.outlier && e.rejectedReason === null && serverOf(e.pdu.sender) === this.ctx.serverName);
    if (ours.length === 0) return;
    // One chain keeps the queue's order the DAG's order, which spares receivers gap fills.
    this.chain = this.chain.then(() => this.enqueue(ours)).catch((err: unknown) => this.ctx.log.error({ err }, 'queueing events for other servers failed'));
  }

  private async enqueue(events: readonly StoredEvent[]): Promise<void> {
    for (const e of events) {
      const destinations = new Set(await this.ctx.hosts.joinedServers(e.roomId));
      if (e.pdu.type === 'm.room.member' && typeof e.pdu.state_key === 'string' && e.pdu.state_key.includes(':')) destinations.add(serverOf(e.pdu.state_key));
      destinations.delete(this.ctx.serverName);
      // Rooms of this server alone cost nothing here: no write per event (the position catches up at stop).
      if (destinations.size === 0) {
        this.unrecorded = e;
        continue;
      }
      this.unrecorded = undefined;
      await this.ctx.federation.enqueuePdu(e.eventId, e.pdu as unknown as JsonObject, destinations, { position: e.streamOrdering });
    }
  }

  private unrecorded: StoredEvent | undefined;

  /** Queues again what was persisted after the last queued position (the queue skips duplicates). */
  async replay(): Promise<void> {
    const last = await this.ctx.federation.lastQueuedPosition();
    if (last === undefined) return;
    const suffix = `:${this.ctx.serverName}`;
    const rows = (await this.ctx.db('events')
      .select('event_id')
      .where('stream_ordering', '>', last)
      .andWhere('outlier', false)
      .whereNull('rejected_reason')
      .andWhereRaw('right(sender, ?) = ?', [suffix.length, suffix])
      .orderBy('stream_ordering')
      .limit(REPLAY_LIMIT)) as Array<{ event_id: string }>;
    if (rows.length === 0) return;
    const loaded = await this.ctx.events.getMany(rows.map((r) => r.event_id));
    await this.enqueue(rows.map((r) => loaded.get(r.event_id)).filter((e): e is StoredEvent => e !== undefined));
  }

  async drain(): Promise<void> {
    await this.chain;
    // Spares the next start replaying events that had nowhere to go.
    const last = this.unrecorded;
    if (last) await this.ctx.federation.enqueuePdu(last.eventId, last.pdu as unknown as JsonObject, [], { position: last.streamOrdering });
  }
}
