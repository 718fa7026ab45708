import { isServerAllowedByAcl } from '../../../core/server-acl.js';
import { isJsonObject, type JsonObject } from '../../../core/json.js';
import type { InboundPduHandler, PduResults } from '../../federation/api.js';
import type { RoomInfo } from '../pipeline/room-info.js';
import { serverOf } from '../hosts.js';
import type { RoomFederationContext } from './context.js';
import { IngestBatch, type EventIngest, type IngestOutcome } from './ingest.js';
import { flushDeferred } from './persist.js';
import { verifyPdus, type CheckedPdu } from './verify.js';

/** The `m.room.server_acl` content of a room's current state, if it has one. */
export async function currentAcl(ctx: RoomFederationContext, info: RoomInfo): Promise<Record<string, unknown> | undefined> {
  const id = info.state.get('m.room.server_acl\u0000');
  if (!id) return undefined;
  return (await ctx.events.get(id))?.pdu.content;
}

/**
 * PDUs of `/send` transactions: grouped by room, each room's in order inside its queue, rooms in
 * parallel. Rooms we are not in, and origins the room's ACL denies, get a per-PDU error.
 */
export class InboundPdus implements InboundPduHandler {
  constructor(
    private readonly ctx: RoomFederationContext,
    private readonly ingest: EventIngest,
  ) {}

  async handlePdus(origin: string, pdus: readonly JsonObject[]): Promise<PduResults> {
    const results: PduResults = new Map();
    const byRoom = new Map<string, JsonObject[]>();
    for (const pdu of pdus) {
      const roomId = pdu.room_id;
      if (typeof roomId !== 'string') continue; // No room, no version: no event ID to answer under.
      let list = byRoom.get(roomId);
      if (!list) byRoom.set(roomId, (list = []));
      list.push(pdu);
    }
    const rooms = (await Promise.all([...byRoom].map(([roomId, list]) => this.checked(origin, roomId, list, results)))).filter((r) => r !== undefined);
    // Which events are held already: one query for every room of the transaction.
    const ids = rooms.flatMap((r) => r.runnable.map((e) => e.eventId));
    const held = ids.length === 0 ? new Map<string, unknown>() : await this.ctx.events.getMany(ids);
    await Promise.all(rooms.map((r) => this.store(origin, r, held, results)));
    return results;
  }

  /** A room's PDUs after the signature, hash, room and ACL checks: those that go on to be stored. */
  private async checked(origin: string, roomId: string, pdus: JsonObject[], results: PduResults): Promise<CheckedRoom | undefined> {
    const info = await this.ctx.infos.get(roomId);
    if (!info) {
      this.ctx.log.debug({ origin, roomId }, 'PDUs for a room this server is not in');
      return undefined;
    }
    const acl = await currentAcl(this.ctx, info);
    const checked = await verifyPdus(pdus, info.version, this.ctx.federation);
    if (acl && !isServerAllowedByAcl(acl, origin)) {
      for (const c of checked) if (c.ok) results.set(c.event.eventId, { error: 'the room server ACL denies the origin server' });
      return undefined;
    }
    const runnable: CheckedPdu[] = [];
    for (const c of checked) {
      if (!c.ok) {
        if (c.eventId) results.set(c.eventId, { error: c.error });
        continue;
      }
      const e = c.event;
      if (e.pdu.room_id !== roomId && !(info.version.roomIdFromCreateEvent && e.pdu.type === 'm.room.create')) {
        results.set(e.eventId, { error: 'event belongs to another room' });
        continue;
      }
      if (acl && !isServerAllowedByAcl(acl, serverOf(e.pdu.sender))) {
        results.set(e.eventId, { error: "the room server ACL denies the sender's server" });
        continue;
      }
      runnable.push(e);
    }
    return runnable.length === 0 ? undefined : { roomId, info, runnable };
  }

  /**
   * The room's events of this transaction, stored together in one message to the database, in
   * the room's queue. Should anything fail, it is undone and each event is taken on its own.
   * `held`: which of them the store held before (anything stored since is in the event cache).
   */
  private async store(origin: string, room: CheckedRoom, held: ReadonlyMap<string, unknown>, results: PduResults): Promise<void> {
    const { roomId, info, runnable } = room;
    await this.ctx.writer.inRoom(roomId, async () => {
      let batch: IngestBatch | undefined;
      const outcomes = new Map<string, IngestOutcome>();
      try {
        batch = new IngestBatch();
        for (const e of runnable) if (!held.has(e.eventId)) batch.absent.add(e.eventId);
        for (const e of runnable) {
          const now = (await this.ingest.roomInfo(roomId, batch)) ?? info;
          outcomes.set(e.eventId, await this.ingest.ingest(origin, now, e, 'live', batch));
        }
        await flushDeferred(this.ctx.db, info.version, batch.deferred);
        batch.committed();
      } catch (err) {
        batch?.abandon(this.ctx);
        outcomes.clear();
        this.ctx.log.info({ err, origin, roomId }, 'a batch of inbound events failed; taking them one by one');
        for (const e of runnable) {
          try {
            const now = (await this.ctx.infos.get(roomId)) ?? info;
            outcomes.set(e.eventId, await this.ingest.ingest(origin, now, e, 'live'));
          } catch (one) {
            this.ctx.log.warn({ err: one, origin, eventId: e.eventId }, 'processing an inbound event failed');
            results.set(e.eventId, { error: 'internal error while processing the event' });
          }
        }
      }
      for (const [id, outcome] of outcomes) results.set(id, outcome.rejectedReason === null ? {} : { error: outcome.rejectedReason });
    });
  }
}

/** A room's share of a transaction, checked and ready to store. */
interface CheckedRoom {
  roomId: string;
  info: RoomInfo;
  runnable: CheckedPdu[];
}

export function isPduList(value: unknown): value is JsonObject[] {
  return Array.isArray(value) && value.every(isJsonObject);
}
