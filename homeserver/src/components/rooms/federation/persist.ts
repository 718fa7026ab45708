import type { Knex } from 'knex';
import { splitStateKey, type PDU, type StateMap } from '../../../core/events.js';
import type { RoomVersion } from '../../../core/room-versions.js';
import { eventInsertSql, type EventStore, type NewEventRow, type StoredEvent } from '../storage/events.js';
import type { StateGroups } from '../state/state-groups.js';
import { searchIndexSql } from '../storage/search.js';
import { eventLinkSql } from '../storage/event-links.js';
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
export async function groupFor(target: WriteTarget, groups: StateGroups, roomId: string, state: StateMap, parent: Group | undefined): Promise<Group> {
  if (parent && (parent.state === state || sameState(parent.state, state))) return parent;
  return { id: await newGroup(target, groups, roomId, state, parent), state };
}

/** Stores `state` as a new group (a delta against `parent` where it can) and returns its ID. */
export async function newGroup(target: WriteTarget, groups: StateGroups, roomId: string, state: StateMap, parent: Group | undefined): Promise<number> {
  if (isTransaction(target)) return groups.create(target, roomId, state, parent);
  // Planned outside the batch's transaction: a parent made earlier in the batch is known in memory.
  const planned = await groups.plan(undefined, roomId, state, parent);
  target.statements.push(...planned.statements);
  return planned.id;
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
  /** Writes in the order they were made (state groups, current state, relations, …), sent first. */
  statements: string[];
  events: NewEventRow[];
  search: Array<{ streamOrdering: number; pdu: PDU }>;
  /**
   * Per room, its forward extremities as the database holds them (`from`) and as the batch left
   * them (`to`). Only the difference is written: one statement for the batch, not one per event.
   */
  extremities: Map<string, { from: readonly string[]; to: readonly string[] }>;
}

export function deferredWrites(): DeferredWrites {
  return { statements: [], events: [], search: [], extremities: new Map() };
}

/**
 * Where an event's writes go: into a transaction at once, or into a batch's deferred writes, which
 * reach the database together at its end.
 */
export type WriteTarget = Knex.Transaction | DeferredWrites;

function isTransaction(target: WriteTarget): target is Knex.Transaction {
  // A knex transaction is a function (a query builder factory); deferred writes are a plain object.
  return typeof target === 'function';
}

async function write(target: WriteTarget, sql: readonly string[]): Promise<void> {
  if (sql.length === 0) return;
  if (isTransaction(target)) await new WriteBatch().add(...sql).runIn(target);
  else target.statements.push(...sql);
}

/**
 * Everything a batch wrote, sent to the database as one message. PostgreSQL runs a message of
 * several statements as one transaction: the batch is stored whole or not at all, with no BEGIN
 * and COMMIT round trips around it.
 */
export async function flushDeferred(db: Knex, rv: RoomVersion, d: DeferredWrites): Promise<void> {
  const sql = [...d.statements, ...eventInsertSql(d.events)];
  if (d.search.length > 0) sql.push(...searchIndexSql(d.search, rv));
  for (const [roomId, { from, to }] of d.extremities) {
    const gone = from.filter((x) => !to.includes(x));
    const added = to.filter((x) => !from.includes(x));
    if (gone.length > 0 || added.length > 0) sql.push(...forwardExtremitySql(roomId, gone, added));
  }
  await new WriteBatch().add(...sql).commit(db);
  d.statements.length = 0;
  d.events.length = 0;
  d.search.length = 0;
  d.extremities.clear();
}

export interface TimelineInput {
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
export async function persistTimelineEvent(target: WriteTarget, events: EventStore, groups: StateGroups, input: TimelineInput): Promise<{ stored: StoredEvent; after: Group }> {
  const { event, roomId } = input;
  const after = await groupFor(target, groups, roomId, input.stateAfter, input.before);
  const sk = event.pdu.state_key;
  const replacesState = sk !== undefined && input.rejectedReason === null ? (input.before.state.get(`${event.pdu.type}\u0000${sk}`) ?? null) : null;
  const fields = { outlier: false, rejectedReason: input.rejectedReason, softFailed: input.softFailed, stateBefore: input.before.id, stateAfter: after.id, replacesState };
  if (input.wasOutlier) {
    const l = sqlLiteral;
    await write(target, [
      `UPDATE events SET stream_ordering = ${l(input.streamOrdering)}, outlier = FALSE, rejected_reason = ${l(fields.rejectedReason)}, soft_failed = ${l(fields.softFailed)}, ` +
        `state_before = ${l(fields.stateBefore)}, state_after = ${l(fields.stateAfter)}, replaces_state = ${l(fields.replacesState)} WHERE event_id = ${l(event.eventId)}`,
    ]);
  } else {
    const row: NewEventRow = { streamOrdering: input.streamOrdering, eventId: event.eventId, roomId, pdu: event.pdu, json: event.json, senderDevice: null, txnId: null, ...fields };
    if (isTransaction(target)) await events.insert(target, [row]);
    else target.events.push(row);
  }
  if (input.rejectedReason === null && !input.softFailed) {
    const indexed = { eventId: event.eventId, pdu: event.pdu, streamOrdering: input.streamOrdering };
    // Relations and redactions of an accepted event, as the local path records them, and its
    // search entry (a batch writes those of all its events in one statement at its end).
    const links = eventLinkSql(roomId, input.version, [indexed]);
    if (isTransaction(target)) await write(target, [...links, ...searchIndexSql([indexed], input.version)]);
    else {
      target.statements.push(...links);
      target.search.push(indexed);
    }
  }
  return { stored: storedOf(event, roomId, input.streamOrdering, fields), after };
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
}

/**
 * Moves the room's current state, forward extremities and memberships to a new resolved state, in
 * one message to the database (a join brings tens of thousands of rows).
 */
export async function applyCurrentState(target: WriteTarget, change: CurrentStateChange): Promise<void> {
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
  if (!isTransaction(target)) {
    // A batch writes only the difference between where it found the room and where it left it.
    const pending = target.extremities.get(roomId);
    target.extremities.set(roomId, { from: pending?.from ?? change.oldExtremities, to: change.newExtremities });
  } else {
    const gone = change.oldExtremities.filter((x) => !change.newExtremities.includes(x));
    const added = change.newExtremities.filter((x) => !change.oldExtremities.includes(x));
    sql.push(...forwardExtremitySql(roomId, gone, added));
  }
  await write(target, sql);
}

export function storedOf(
  event: CheckedPdu,
  roomId: string,
  streamOrdering: number,
  f: { outlier: boolean; rejectedReason: string | null; softFailed: boolean; stateBefore: number | null; stateAfter: number | null; replacesState: string | null },
): StoredEvent {
  return { eventId: event.eventId, roomId, streamOrdering, depth: event.pdu.depth, pdu: event.pdu, senderDevice: null, txnId: null, ...f };
}
