import type { Knex } from 'knex';
import { redact } from '../../core/redaction.js';
import type { JsonObject } from '../../core/json.js';
import type { RoomVersion } from '../../core/room-versions.js';
import type { EventStore, StoredEvent } from './storage/events.js';
import { DecorationCache } from './decoration-cache.js';

export interface Viewer {
  userId: string;
  deviceId?: string | undefined;
}

/** The client-server API's event format (ClientEvent), built from a stored PDU. */
export function toClientEvent(e: StoredEvent, rv: RoomVersion, extra: { now: number; viewer?: Viewer | undefined; redactedBy?: StoredEvent | undefined; prev?: StoredEvent | undefined; relations?: JsonObject | undefined }): JsonObject {
  const pdu = extra.redactedBy ? (redact(e.pdu as unknown as JsonObject, rv) as unknown as StoredEvent['pdu']) : e.pdu;
  const out: JsonObject = {
    event_id: e.eventId,
    room_id: e.roomId,
    sender: pdu.sender,
    type: pdu.type,
    origin_server_ts: pdu.origin_server_ts,
    content: pdu.content,
  };
  if (pdu.state_key !== undefined) out.state_key = pdu.state_key;
  if (pdu.type === 'm.room.redaction') {
    // v11 keeps `redacts` in content; clients written before v11 read it at the top level.
    const target = rv.redactsInContent ? pdu.content.redacts : pdu.redacts;
    if (typeof target === 'string') out.redacts = target;
  }
  const unsigned: JsonObject = { age: Math.max(0, extra.now - pdu.origin_server_ts) };
  if (extra.viewer && e.txnId && e.senderDevice && extra.viewer.userId === pdu.sender && extra.viewer.deviceId === e.senderDevice) {
    unsigned.transaction_id = e.txnId;
  }
  if (extra.prev) {
    unsigned.replaces_state = extra.prev.eventId;
    unsigned.prev_content = extra.prev.pdu.content;
    unsigned.prev_sender = extra.prev.pdu.sender;
  }
  if (extra.redactedBy) {
    unsigned.redacted_because = toClientEvent(extra.redactedBy, rv, { now: extra.now });
  }
  if (extra.relations && Object.keys(extra.relations).length > 0) unsigned['m.relations'] = extra.relations;
  out.unsigned = unsigned;
  return out;
}

/**
 * Formats many events at once: the redactions and replaced state they need are fetched in one
 * query each, never one per event.
 */
export async function formatClientEvents(
  db: Knex,
  store: EventStore,
  events: readonly StoredEvent[],
  rv: RoomVersion,
  viewer: Viewer | undefined,
  relations?: Map<string, JsonObject>,
): Promise<JsonObject[]> {
  if (events.length === 0) return [];
  const cache = DecorationCache.for(db);
  const ids = cache.needRedactionLookup(events.map((e) => e.eventId));
  const generation = cache.generations().redaction;
  const redactionRows =
    ids.length === 0
      ? []
      : ((await db('redactions as r')
          .join('events as e', 'e.event_id', 'r.event_id')
          .select('r.event_id', 'r.redacts')
          .whereIn('r.redacts', ids)
          .whereNull('e.rejected_reason')
          .andWhere('e.soft_failed', false)) as Array<{ event_id: string; redacts: string }>);
  const redactedIds = new Set(redactionRows.map((r) => r.redacts));
  cache.rememberUnredacted(
    ids.filter((id) => !redactedIds.has(id)),
    generation,
  );
  const prevIds = events.map((e) => e.replacesState).filter((x): x is string => x !== null);
  const loaded = await store.getMany([...redactionRows.map((r) => r.event_id), ...prevIds]);
  const redactedBy = new Map<string, StoredEvent>();
  for (const r of redactionRows) {
    const redaction = loaded.get(r.event_id);
    const target = events.find((e) => e.eventId === r.redacts);
    // Only the original sender or someone with redact power may redact; the route checks the
    // latter before sending, so a stored, accepted redaction from another sender had the power.
    if (redaction && target && !redactedBy.has(r.redacts)) redactedBy.set(r.redacts, redaction);
  }
  const now = Date.now();
  return events.map((e) =>
    toClientEvent(e, rv, {
      now,
      viewer,
      redactedBy: redactedBy.get(e.eventId),
      prev: e.replacesState ? loaded.get(e.replacesState) : undefined,
      relations: relations?.get(e.eventId),
    }),
  );
}
