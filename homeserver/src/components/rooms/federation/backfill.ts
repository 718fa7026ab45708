import type { RoomFederationContext } from './context.js';
import type { EventIngest } from './ingest.js';
import type { RemoteRoom } from './remote.js';

const MAX_BACKFILL = 100;

/**
 * History from before we joined: the events our oldest timeline events point at but we do not
 * hold, asked of the other servers in the room until one answers.
 */
export class Backfiller {
  private readonly running = new Map<string, Promise<boolean>>();

  constructor(
    private readonly ctx: RoomFederationContext,
    private readonly ingest: EventIngest,
    private readonly remote: RemoteRoom,
  ) {}

  backfill(roomId: string, limit: number): Promise<boolean> {
    // Clients paging together share one fetch.
    let p = this.running.get(roomId);
    if (!p) {
      p = this.run(roomId, Math.min(Math.max(limit, 10), MAX_BACKFILL)).finally(() => this.running.delete(roomId));
      this.running.set(roomId, p);
    }
    return p;
  }

  /**
   * prev_events of our oldest timeline events that are not timeline events themselves: where
   * history we do not hold begins. Read from the events' own prev_events, lowest depth first.
   */
  private async backwardExtremities(roomId: string): Promise<string[]> {
    const rows = (await this.ctx.db('events')
      .select('event_id')
      .where({ room_id: roomId, outlier: false })
      .orderBy([{ column: 'depth', order: 'asc' }, { column: 'stream_ordering', order: 'asc' }])
      .limit(50)) as Array<{ event_id: string }>;
    const oldest = await this.ctx.events.getMany(rows.map((r) => r.event_id));
    const prevs = [...new Set([...oldest.values()].flatMap((e) => e.pdu.prev_events))];
    if (prevs.length === 0) return [];
    const held = await this.ctx.events.getMany(prevs);
    return prevs.filter((id) => !held.get(id) || held.get(id)!.outlier).slice(0, 20);
  }

  private async run(roomId: string, limit: number): Promise<boolean> {
    const info = await this.ctx.infos.get(roomId);
    if (!info) return false;
    const from = await this.backwardExtremities(roomId);
    if (from.length === 0) return false;
    const servers = (await this.ctx.hosts.joinedServers(roomId)).filter((s) => s !== this.ctx.serverName);
    for (const server of servers) {
      let events;
      try {
        events = await this.remote.backfill(server, roomId, from, limit, info.version);
      } catch (err) {
        this.ctx.log.info({ err, server, roomId }, 'backfill from a server failed');
        continue;
      }
      const fresh = events.filter((e) => e.pdu.room_id === roomId || info.version.roomIdFromCreateEvent).sort((a, b) => a.pdu.depth - b.pdu.depth);
      if (fresh.length === 0) continue;
      let stored = 0;
      await this.ctx.writer.inRoom(roomId, async () => {
        for (const e of fresh) {
          const held = await this.ctx.events.get(e.eventId);
          if (held && !held.outlier) continue;
          const outcome = await this.ingest.ingest(server, (await this.ctx.infos.get(roomId)) ?? info, e, 'backfill');
          if (outcome.rejectedReason === null) stored++;
        }
      });
      if (stored > 0) return true;
    }
    return false;
  }
}
