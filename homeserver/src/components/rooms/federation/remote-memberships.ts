import type { Knex } from 'knex';
import { canonicalJson } from '../../../core/canonical-json.js';
import type { JsonObject } from '../../../core/json.js';
import type { RoomVersion } from '../../../core/room-versions.js';
import type { StoredEvent } from '../storage/events.js';
import type { RoomFederationContext } from './context.js';
import { persistOutliers } from './persist.js';
import type { CheckedPdu } from './verify.js';

export interface RemoteMembership {
  roomId: string;
  userId: string;
  membership: string;
  eventId: string;
  roomVersion: string;
  viaServer: string;
  strippedState: JsonObject[];
}

/** Invites to, knocks on and rejections of rooms this server is not in. */
export class RemoteMemberships {
  constructor(private readonly ctx: RoomFederationContext) {}

  async get(roomId: string, userId: string): Promise<RemoteMembership | undefined> {
    const row = (await this.ctx.db('remote_memberships').where({ room_id: roomId, user_id: userId }).first()) as
      | { room_id: string; user_id: string; membership: string; event_id: string; room_version: string; via_server: string; stripped_state: string }
      | undefined;
    if (!row) return undefined;
    return {
      roomId: row.room_id,
      userId: row.user_id,
      membership: row.membership,
      eventId: row.event_id,
      roomVersion: row.room_version,
      viaServer: row.via_server,
      strippedState: JSON.parse(row.stripped_state) as JsonObject[],
    };
  }

  async strippedState(roomId: string, userId: string): Promise<JsonObject[] | undefined> {
    return (await this.get(roomId, userId))?.strippedState;
  }

  /**
   * Records the membership event (an outlier: we hold no state of the room) and the user's
   * membership at a new stream position, then announces it so the user's sync wakes.
   */
  async record(event: CheckedPdu, rv: RoomVersion, viaServer: string, strippedState: JsonObject[] | undefined): Promise<StoredEvent> {
    const { db, events, stream, bus } = this.ctx;
    const roomId = event.pdu.room_id!;
    const userId = event.pdu.state_key!;
    const membership = String(event.pdu.content.membership);
    const reservation = stream.reserve(1);
    try {
      const stored = await db.transaction(async (trx: Knex.Transaction) => {
        const held = await trx('events').select('event_id').where('event_id', event.eventId).first();
        let s: StoredEvent | undefined;
        if (!held) [s] = await persistOutliers(trx, events, roomId, [{ event, rejectedReason: null, streamOrdering: reservation.ids[0]! }]);
        const row = { room_id: roomId, user_id: userId, membership, event_id: event.eventId, room_version: rv.id, via_server: viaServer };
        if (strippedState) {
          await trx('remote_memberships').insert({ ...row, stripped_state: canonicalJson(strippedState) }).onConflict(['room_id', 'user_id']).merge();
        } else {
          await trx('remote_memberships').update({ membership, event_id: event.eventId }).where({ room_id: roomId, user_id: userId });
        }
        await trx('room_memberships')
          .insert({ room_id: roomId, user_id: userId, membership, event_id: event.eventId, stream_ordering: reservation.ids[0]!, forgotten: false })
          .onConflict(['room_id', 'user_id'])
          .merge(['membership', 'event_id', 'stream_ordering', 'forgotten']);
        return s ?? (await events.get(event.eventId))!;
      });
      events.remember(stored);
      bus.emit([{ ...stored, streamOrdering: reservation.ids[0]! }]);
      return stored;
    } finally {
      reservation.done();
    }
  }
}
