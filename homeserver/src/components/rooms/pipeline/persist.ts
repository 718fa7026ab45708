import type { Knex } from 'knex';
import { redactsOf } from '../../../core/auth/index.js';
import { splitStateKey, type StateMap } from '../../../core/events.js';
import { isJsonObject } from '../../../core/json.js';
import { eventInsertSql, type NewEventRow, type StoredEvent } from '../storage/events.js';
import type { StateGroups } from '../state/state-groups.js';
import { forwardExtremitySql } from '../storage/extremities.js';
import { searchIndexSql } from '../storage/search.js';
import { WriteBatch } from '../../../db/write-batch.js';
import type { BuiltEvent } from './build.js';
import type { RoomVersion } from '../../../core/room-versions.js';

/** One event ready to persist, with the state before and after it. */
export interface PendingEvent {
  built: BuiltEvent;
  roomId: string;
  stateBefore: StateMap | undefined;
  stateAfter: StateMap;
  replacesState: string | null;
  senderDevice?: string | undefined;
  txnId?: string | undefined;
}

export interface PersistInput {
  roomId: string;
  version: RoomVersion;
  /** The room's state group before the first event; undefined when the batch creates the room. */
  startGroup: { id: number; state: StateMap } | undefined;
  oldExtremities: readonly string[];
  events: PendingEvent[];
  streamOrderings: number[];
  creator?: string;
  now: number;
}

export interface PersistResult {
  stored: StoredEvent[];
  finalGroup: { id: number; state: StateMap };
}

/**
 * Writes a linear run of new events of one room: events, state groups, current state, forward
 * extremities, memberships, relations, redactions, the search index. All statements go to the
 * database as one WriteBatch (on PostgreSQL one round trip): either all of it is there afterwards
 * or none of it.
 */
export async function persistLinear(db: Knex, groups: StateGroups, input: PersistInput): Promise<PersistResult> {
  const batch = new WriteBatch();
  let group = input.startGroup;
  const rows: NewEventRow[] = [];
  for (const [i, p] of input.events.entries()) {
    const before = group;
    if (!before || p.stateAfter !== before.state) {
      const planned = await groups.plan(db, input.roomId, p.stateAfter, before);
      batch.add(...planned.statements);
      group = { id: planned.id, state: p.stateAfter };
    }
    rows.push({
      streamOrdering: input.streamOrderings[i]!,
      eventId: p.built.eventId,
      roomId: input.roomId,
      pdu: p.built.pdu,
      json: p.built.json,
      stateBefore: before?.id ?? null,
      stateAfter: group!.id,
      replacesState: p.replacesState,
      senderDevice: p.senderDevice ?? null,
      txnId: p.txnId ?? null,
    });
  }
  const finalGroup = group!;

  if (!input.startGroup) {
    batch.add(
      db('rooms').insert({
        room_id: input.roomId,
        room_version: input.version.id,
        creator: input.creator ?? null,
        created_ts: input.now,
        current_state_group: finalGroup.id,
      }),
    );
  } else if (finalGroup.id !== input.startGroup.id) {
    batch.add(db('rooms').update({ current_state_group: finalGroup.id }).where('room_id', input.roomId));
  }
  batch.add(...eventInsertSql(rows));

  // Current state: only the keys that changed.
  const startState = input.startGroup?.state ?? new Map<string, string>();
  const changed: Array<{ room_id: string; type: string; state_key: string; event_id: string }> = [];
  for (const [k, id] of finalGroup.state) {
    if (startState.get(k) !== id) {
      const [type, sk] = splitStateKey(k);
      changed.push({ room_id: input.roomId, type, state_key: sk, event_id: id });
    }
  }
  if (changed.length > 0) {
    batch.add(db('current_state').insert(changed).onConflict(['room_id', 'type', 'state_key']).merge(['event_id']));
  }

  const last = rows[rows.length - 1]!;
  batch.add(...forwardExtremitySql(input.roomId, input.oldExtremities, [last.eventId]));

  const memberships = rows
    .filter((r) => r.pdu.type === 'm.room.member' && typeof r.pdu.state_key === 'string')
    .map((r) => ({
      room_id: input.roomId,
      user_id: r.pdu.state_key!,
      membership: String(r.pdu.content.membership),
      event_id: r.eventId,
      stream_ordering: r.streamOrdering,
      forgotten: false,
    }));
  if (memberships.length > 0) {
    // A later event for the same user in this batch wins.
    const latest = new Map(memberships.map((m) => [m.user_id, m]));
    batch.add(db('room_memberships').insert([...latest.values()]).onConflict(['room_id', 'user_id']).merge(['membership', 'event_id', 'stream_ordering', 'forgotten']));
  }

  const relations = rows.flatMap((r) => {
    const rel = r.pdu.content['m.relates_to'];
    if (!isJsonObject(rel) || typeof rel.rel_type !== 'string' || typeof rel.event_id !== 'string') return [];
    return [
      {
        event_id: r.eventId,
        room_id: input.roomId,
        relates_to: rel.event_id,
        rel_type: rel.rel_type,
        aggregation_key: typeof rel.key === 'string' ? rel.key : null,
        sender: r.pdu.sender,
        type: r.pdu.type,
        stream_ordering: r.streamOrdering,
      },
    ];
  });
  if (relations.length > 0) batch.add(db('event_relations').insert(relations).onConflict('event_id').ignore());

  const redactions = rows.flatMap((r) => {
    if (r.pdu.type !== 'm.room.redaction') return [];
    const target = redactsOf(r.pdu, input.version);
    return target ? [{ event_id: r.eventId, redacts: target, room_id: input.roomId }] : [];
  });
  if (redactions.length > 0) batch.add(db('redactions').insert(redactions).onConflict('event_id').ignore());
  batch.add(...searchIndexSql(rows, input.version));
  await batch.commit(db);

  const stored: StoredEvent[] = rows.map((r) => ({
    eventId: r.eventId,
    roomId: r.roomId,
    streamOrdering: r.streamOrdering,
    depth: r.pdu.depth,
    pdu: r.pdu,
    outlier: false,
    rejectedReason: null,
    softFailed: false,
    stateBefore: r.stateBefore,
    stateAfter: r.stateAfter,
    replacesState: r.replacesState,
    senderDevice: r.senderDevice,
    txnId: r.txnId,
  }));
  return { stored, finalGroup: { id: finalGroup.id, state: finalGroup.state } };
}
