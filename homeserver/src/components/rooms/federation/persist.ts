import type { Knex } from 'knex';
import { redactsOf } from '../../../core/auth/index.js';
import { splitStateKey, type PDU, type StateMap } from '../../../core/events.js';
import { isJsonObject } from '../../../core/json.js';
import type { RoomVersion } from '../../../core/room-versions.js';
import { eventInsertSql, type EventStore, type NewEventRow, type StoredEvent } from '../storage/events.js';
import type { StateGroups } from '../state/state-groups.js';
import { indexForSearch, searchIndexSql } from '../storage/search.js';
import { forwardExtremitySql } from '../storage/extremities.js';
import { insertSql, sqlLiteral } from '../../../db/sql-literal.js';
import { WriteBatch } from '../../../db/write-batch.js';
import type { CheckedPdu } from './verify.js';

/** Rows per statement: PostgreSQL takes at most 65,535 parameters, and a big room's state is large. */
const CHUNK = 1000;

export interface Group {
  id: number;
  state: StateMap;
}

/** Stores `state` as a group unless it is `parent`'s state already. */
export async function groupFor(trx: Knex.Transaction, groups: StateGroups, roomId: string, state: StateMap, parent: Group | undefined): Promise<Group> {
  if (parent && (parent.state === state || sameState(parent.state, state))) return parent;
  return { id: await groups.create(trx, roomId, state, parent), state };
}

function sameState(a: StateMap, b: StateMap): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}

/** Events known only by ID and content: fetched to check others, outside the room's timeline. */
export async function persistOutliers(trx: Knex.Transaction, events: EventStore, roomId: string, rows: Array<{ event: CheckedPdu; rejectedReason: string | null; streamOrdering: number }>): Promise<StoredEvent[]> {
  if (rows.length === 0) return [];
  await events.insert(
    trx,
    rows.map((r) => ({
      streamOrdering: r.streamOrdering,
      eventId: r.event.eventId,
      roomId,
      pdu: r.event.pdu,
      json: r.event.json,
      outlier: true,
      rejectedReason: r.rejectedReason,
      stateBefore: null,
      stateAfter: null,
      replacesState: null,
      senderDevice: null,
      txnId: null,
    })),
  );
  return rows.map((r) => storedOf(r.event, roomId, r.streamOrdering, { outlier: true, rejectedReason: r.rejectedReason, softFailed: false, stateBefore: null, stateAfter: null, replacesState: null }));
}

/**
 * Rows a batch of inbound events writes at its end, in multi-row statements, instead of one
 * statement per event: nothing in the batch reads them back from the database (the event cache
 * answers).
 */
export interface DeferredWrites {
  events: NewEventRow[];
  search: Array<{ streamOrdering: number; pdu: PDU }>;
  /**
   * Per room, its forward extremities as the database holds them (`from`) and as the batch left
   * them (`to`). Only the difference is written: one statement for the batch, not one per event.
   */
  extremities: Map<string, { from: readonly string[]; to: readonly string[] }>;
}

export function deferredWrites(): DeferredWrites {
  return { events: [], search: [], extremities: new Map() };
}

/** Everything a batch left for its end, sent to the database as one message. */
export async function flushDeferred(trx: Knex.Transaction, rv: RoomVersion, d: DeferredWrites): Promise<void> {
  const sql = eventInsertSql(d.events);
  if (d.search.length > 0) sql.push(...searchIndexSql(d.search, rv));
  for (const [roomId, { from, to }] of d.extremities) {
    const gone = from.filter((x) => !to.includes(x));
    const added = to.filter((x) => !from.includes(x));
    if (gone.length > 0 || added.length > 0) sql.push(...forwardExtremitySql(roomId, gone, added));
  }
  await new WriteBatch().add(...sql).runIn(trx);
  d.events.length = 0;
  d.search.length = 0;
  d.extremities.clear();
}

export interface TimelineInput {
  /** When set, the event row and its search entry are left here for the batch to write. */
  deferred?: DeferredWrites | undefined;
  roomId: string;
  version: RoomVersion;
  event: CheckedPdu;
  streamOrdering: number;
  before: Group;
  /** The state after the event (the state before it for rejected and non-state events). */
  stateAfter: StateMap;
  rejectedReason: string | null;
  softFailed: boolean;
  /** The event is held as an outlier already: the row is updated in place. */
  wasOutlier: boolean;
}

/** Writes one event of another server into the room's DAG with the state before and after it. */
export async function persistTimelineEvent(trx: Knex.Transaction, events: EventStore, groups: StateGroups, input: TimelineInput): Promise<{ stored: StoredEvent; after: Group }> {
  const { event, roomId } = input;
  const after = await groupFor(trx, groups, roomId, input.stateAfter, input.before);
  const sk = event.pdu.state_key;
  const replacesState = sk !== undefined && input.rejectedReason === null ? (input.before.state.get(`${event.pdu.type}\u0000${sk}`) ?? null) : null;
  const fields = { outlier: false, rejectedReason: input.rejectedReason, softFailed: input.softFailed, stateBefore: input.before.id, stateAfter: after.id, replacesState };
  if (input.wasOutlier) {
    await trx('events').where('event_id', event.eventId).update({
      stream_ordering: input.streamOrdering,
      outlier: false,
      rejected_reason: fields.rejectedReason,
      soft_failed: fields.softFailed,
      state_before: fields.stateBefore,
      state_after: fields.stateAfter,
      replaces_state: fields.replacesState,
    });
  } else {
    const row: NewEventRow = { streamOrdering: input.streamOrdering, eventId: event.eventId, roomId, pdu: event.pdu, json: event.json, senderDevice: null, txnId: null, ...fields };
    if (input.deferred) input.deferred.events.push(row);
    else await events.insert(trx, [row]);
  }
  if (input.rejectedReason === null && !input.softFailed) await indexEvent(trx, roomId, input.version, event, input.streamOrdering, input.deferred);
  return { stored: storedOf(event, roomId, input.streamOrdering, fields), after };
}

/** Relations and redactions of an accepted event, as the local path records them. */
async function indexEvent(trx: Knex.Transaction, roomId: string, rv: RoomVersion, event: CheckedPdu, streamOrdering: number, deferred?: DeferredWrites): Promise<void> {
  const pdu = event.pdu;
  const rel = pdu.content['m.relates_to'];
  if (isJsonObject(rel) && typeof rel.rel_type === 'string' && typeof rel.event_id === 'string') {
    await trx('event_relations')
      .insert({
        event_id: event.eventId,
        room_id: roomId,
        relates_to: rel.event_id,
        rel_type: rel.rel_type,
        aggregation_key: typeof rel.key === 'string' ? rel.key : null,
        sender: pdu.sender,
        type: pdu.type,
        stream_ordering: streamOrdering,
      })
      .onConflict('event_id')
      .ignore();
  }
  if (pdu.type === 'm.room.redaction') {
    const target = redactsOf(pdu, rv);
    if (target) await trx('redactions').insert({ event_id: event.eventId, redacts: target, room_id: roomId }).onConflict('event_id').ignore();
  }
  if (deferred) deferred.search.push({ streamOrdering, pdu });
  else await indexForSearch(trx, [{ streamOrdering, pdu }], rv);
}

export interface CurrentStateChange {
  roomId: string;
  oldGroup: Group | undefined;
  newGroup: Group;
  oldExtremities: readonly string[];
  newExtremities: readonly string[];
  /** Stream position the membership changes are recorded at. */
  streamOrdering: number;
  /** Member events of the new state, by ID, that the change needs (from memory or the database). */
  memberEvents: ReadonlyMap<string, Pick<PDU, 'content' | 'state_key'>>;
  /** When set, the move of forward extremities is left here for the batch to write. */
  deferred?: DeferredWrites | undefined;
}

/**
 * Moves the room's current state, forward extremities and memberships to a new resolved state, in
 * one message to the database (a join brings tens of thousands of rows).
 */
export async function applyCurrentState(trx: Knex.Transaction, change: CurrentStateChange): Promise<void> {
  const { roomId } = change;
  const old = change.oldGroup?.state ?? new Map<string, string>();
  const upserts: Array<[string, string, string, string]> = [];
  const memberships: Array<[string, string, string, string, number, boolean]> = [];
  for (const [k, id] of change.newGroup.state) {
    if (old.get(k) === id) continue;
    const [type, sk] = splitStateKey(k);
    upserts.push([roomId, type, sk, id]);
    if (type !== 'm.room.member') continue;
    const membership = change.memberEvents.get(id)?.content.membership;
    if (typeof membership === 'string') memberships.push([roomId, sk, membership, id, change.streamOrdering, false]);
  }
  const sql: string[] = [];
  for (let i = 0; i < upserts.length; i += CHUNK) {
    sql.push(insertSql('current_state', ['room_id', 'type', 'state_key', 'event_id'], upserts.slice(i, i + CHUNK), 'ON CONFLICT (room_id, type, state_key) DO UPDATE SET event_id = excluded.event_id'));
  }
  const room = sqlLiteral(roomId);
  for (const k of old.keys()) {
    if (change.newGroup.state.has(k)) continue;
    const [type, sk] = splitStateKey(k);
    sql.push(`DELETE FROM current_state WHERE room_id = ${room} AND type = ${sqlLiteral(type)} AND state_key = ${sqlLiteral(sk)}`);
  }
  if (change.oldGroup?.id !== change.newGroup.id) sql.push(`UPDATE rooms SET current_state_group = ${sqlLiteral(change.newGroup.id)} WHERE room_id = ${room}`);
  for (let i = 0; i < memberships.length; i += CHUNK) {
    sql.push(
      insertSql(
        'room_memberships',
        ['room_id', 'user_id', 'membership', 'event_id', 'stream_ordering', 'forgotten'],
        memberships.slice(i, i + CHUNK),
        'ON CONFLICT (room_id, user_id) DO UPDATE SET membership = excluded.membership, event_id = excluded.event_id, stream_ordering = excluded.stream_ordering, forgotten = excluded.forgotten',
      ),
    );
  }
  if (change.deferred) {
    const pending = change.deferred.extremities.get(roomId);
    change.deferred.extremities.set(roomId, { from: pending?.from ?? change.oldExtremities, to: change.newExtremities });
  } else {
    const gone = change.oldExtremities.filter((x) => !change.newExtremities.includes(x));
    const added = change.newExtremities.filter((x) => !change.oldExtremities.includes(x));
    sql.push(...forwardExtremitySql(roomId, gone, added));
  }
  await new WriteBatch().add(...sql).runIn(trx);
}

export function storedOf(
  event: CheckedPdu,
  roomId: string,
  streamOrdering: number,
  f: { outlier: boolean; rejectedReason: string | null; softFailed: boolean; stateBefore: number | null; stateAfter: number | null; replacesState: string | null },
): StoredEvent {
  return { eventId: event.eventId, roomId, streamOrdering, depth: event.pdu.depth, pdu: event.pdu, senderDevice: null, txnId: null, ...f };
}
