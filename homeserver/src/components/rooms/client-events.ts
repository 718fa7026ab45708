import type { Knex } from 'knex';
import { redact } from '../../core/redaction.js';
import type { JsonObject } from '../../core/json.js';
import type { RoomVersion } from '../../core/room-versions.js';
import type { EventStore, StoredEvent } from './storage/events.js';
import { DecorationCache } from './decoration-cache.js';
import { LruCache } from '../../util/lru.js';
import { RawJson } from '../../util/raw-json.js';
import { Coalescer } from '../../util/coalesce.js';
import { groupBy } from '../../util/group-by.js';
import { anyText } from '../../db/json-list.js';

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

interface Decorations {
  redactedBy: Map<string, StoredEvent>;
  /** The redactions and the state events replaced, by ID. */
  loaded: Map<string, StoredEvent>;
}

interface RedactionRow {
  event_id: string;
  redacts: string;
}

const redactionLoaders = new WeakMap<Knex, Coalescer<string, RedactionRow[]>>();

/** The accepted redactions of events that concurrent readers (the rooms of one sync) format, in one query. */
function redactionsLoader(db: Knex): Coalescer<string, RedactionRow[]> {
  let loader = redactionLoaders.get(db);
  if (!loader) {
    loader = new Coalescer(async (targets) => {
      const rows = (await db('redactions as r')
        .join('events as e', 'e.event_id', 'r.event_id')
        .select('r.event_id', 'r.redacts')
        .where(anyText(db, 'r.redacts', [...targets.keys()]))
        .whereNull('e.rejected_reason')
        .andWhere('e.soft_failed', false)) as RedactionRow[];
      return groupBy(rows, (r) => r.redacts);
    });
    redactionLoaders.set(db, loader);
  }
  return loader;
}

/** The redactions and replaced state `events` need, fetched in one query each, never one per event. */
async function decorations(db: Knex, store: EventStore, events: readonly StoredEvent[]): Promise<Decorations> {
  const cache = DecorationCache.for(db);
  const ids = cache.needRedactionLookup(events.map((e) => e.eventId));
  const generation = cache.generations().redaction;
  const found = ids.length === 0 ? new Map<string, RedactionRow[]>() : await redactionsLoader(db).join(ids.map((id) => [id, id]));
  const redactionRows = ids.flatMap((id) => found.get(id) ?? []);
  const redactedIds = new Set(redactionRows.map((r) => r.redacts));
  cache.rememberUnredacted(
    ids.filter((id) => !redactedIds.has(id)),
    generation,
  );
  const prevIds = events.map((e) => e.replacesState).filter((x): x is string => x !== null);
  const wanted = [...redactionRows.map((r) => r.event_id), ...prevIds];
  const loaded = wanted.length === 0 ? new Map<string, StoredEvent>() : await store.getMany(wanted);
  const redactedBy = new Map<string, StoredEvent>();
  for (const r of redactionRows) {
    const redaction = loaded.get(r.event_id);
    const target = events.find((e) => e.eventId === r.redacts);
    // Only the original sender or someone with redact power may redact; the route checks the
    // latter before sending, so a stored, accepted redaction from another sender had the power.
    if (redaction && target && !redactedBy.has(r.redacts)) redactedBy.set(r.redacts, redaction);
  }
  return { redactedBy, loaded };
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
  const { redactedBy, loaded } = await decorations(db, store, events);
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

/**
 * The JSON of an event's fields other than `unsigned`, without the closing brace, for the events
 * whose client form differs between viewers and over time only in `unsigned.age` and
 * `unsigned.transaction_id`: not state (prev_content), not redacted, nothing related to them.
 * Kept per database: two servers in one process (tests) may hold the same event differently.
 */
const heads = new WeakMap<Knex, LruCache<string, string>>();

function headCache(db: Knex): LruCache<string, string> {
  let c = heads.get(db);
  if (!c) heads.set(db, (c = new LruCache(10_000)));
  return c;
}

/** Longer heads are made again each time: the cache stays small whatever the events hold. */
const MAX_CACHED_HEAD = 4096;

function plainHead(cache: LruCache<string, string>, e: StoredEvent, rv: RoomVersion): string {
  let head = cache.get(e.eventId);
  if (head === undefined) {
    const { unsigned: _unsigned, ...rest } = toClientEvent(e, rv, { now: 0 });
    head = JSON.stringify(rest).slice(0, -1);
    if (head.length <= MAX_CACHED_HEAD) cache.set(e.eventId, head);
  }
  return head;
}

/**
 * formatClientEvents as JSON text, for sync: each plain event is serialized once for all the
 * members it goes to, and only its age and (for the sending device) transaction ID are added per
 * viewer. Other events are formatted in full, as formatClientEvents does.
 */
export async function formatClientEventsJson(
  db: Knex,
  store: EventStore,
  events: readonly StoredEvent[],
  rv: RoomVersion,
  viewer: Viewer,
  relations?: Map<string, JsonObject>,
): Promise<RawJson> {
  if (events.length === 0) return new RawJson('[]');
  const { redactedBy, loaded } = await decorations(db, store, events);
  const cache = headCache(db);
  const now = Date.now();
  const parts: string[] = [];
  for (const e of events) {
    const related = relations?.get(e.eventId);
    const redaction = redactedBy.get(e.eventId);
    if (e.pdu.state_key !== undefined || e.replacesState !== null || redaction || (related && Object.keys(related).length > 0)) {
      const prev = e.replacesState ? loaded.get(e.replacesState) : undefined;
      parts.push(JSON.stringify(toClientEvent(e, rv, { now, viewer, redactedBy: redaction, prev, relations: related })));
      continue;
    }
    let unsigned = `"unsigned":{"age":${Math.max(0, now - e.pdu.origin_server_ts)}`;
    if (e.txnId && e.senderDevice && viewer.userId === e.pdu.sender && viewer.deviceId === e.senderDevice) unsigned += `,"transaction_id":${JSON.stringify(e.txnId)}`;
    parts.push(`${plainHead(cache, e, rv)},${unsigned}}}`);
  }
  return new RawJson(`[${parts.join(',')}]`);
}
