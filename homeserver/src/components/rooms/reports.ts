import type { Knex } from 'knex';
import type { JsonObject } from '../../core/json.js';
import type { Requester } from '../../http/auth.js';
import { errors } from '../../http/errors.js';
import type { CurrentState } from './state/current-state.js';
import type { EventStore } from './storage/events.js';
import type { ReportStore } from './storage/reports.js';
import { HistoryVisibility } from './visibility.js';

/** Users reporting events and rooms to the server's admins (the spec's "Reporting content"). */
export class Reports {
  constructor(
    private readonly db: Knex,
    private readonly store: ReportStore,
    private readonly events: EventStore,
    private readonly current: CurrentState,
  ) {}

  /**
   * POST /rooms/{roomId}/report/{eventId}. The reporter must be joined (spec v1.8) and able to
   * see the event; anything else is the same 404, so a report reveals nothing about the room.
   */
  async reportEvent(requester: Requester, roomId: string, eventId: string, body: { reason?: string | undefined; score?: number | undefined }, raw: JsonObject): Promise<void> {
    const notFound = () => errors.notFound('Unable to report event: it does not exist or you aren\u2019t able to see it.');
    if ((await this.current.membership(roomId, requester.userId)) !== 'join') throw notFound();
    const e = await this.events.get(eventId);
    if (!e || e.roomId !== roomId || e.outlier || e.rejectedReason !== null || e.softFailed) throw notFound();
    const vis = await HistoryVisibility.load(this.db, roomId, requester.userId);
    if (!vis.canSee(e)) throw notFound();
    // A redacted event has nothing left to report (Synapse answers the same way).
    const redacted = await this.db('redactions as r')
      .join('events as x', 'x.event_id', 'r.event_id')
      .where('r.redacts', eventId)
      .whereNull('x.rejected_reason')
      .andWhere('x.soft_failed', false)
      .first('r.event_id');
    if (redacted) throw notFound();
    await this.store.addEventReport({
      received_ts: Date.now(),
      room_id: roomId,
      event_id: eventId,
      user_id: requester.userId,
      reason: body.reason ?? null,
      score: body.score ?? null,
      content: JSON.stringify(raw),
    });
  }

  /** POST /rooms/{roomId}/report: open to non-members (spec v1.13), 404 for unknown rooms. */
  async reportRoom(requester: Requester, roomId: string, reason: string): Promise<void> {
    if (!(await this.current.info(roomId))) throw errors.notFound('The room was not found.');
    await this.store.addRoomReport({ received_ts: Date.now(), room_id: roomId, user_id: requester.userId, reason });
  }
}
