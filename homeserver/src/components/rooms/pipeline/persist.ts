import type { Knex } from 'knex';
import { splitStateKey, type StateMap } from '../../../core/events.js';
import { eventInsertSql, type NewEventRow, type StoredEvent } from '../storage/events.js';
import type { StateGroups } from '../state/state-groups.js';
import { forwardExtremitySql } from '../storage/extremities.js';
import { searchIndexSql } from '../storage/search.js';
import { eventLinkSql } from '../storage/event-links.js';
import { WriteBatch } from '../../../db/write-batch.js';
import { insertSql, sqlLiteral } from '../../../db/sql-literal.js';
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

  // Statements are written as SQL text (sql-literal.ts), not with knex's builder: this is the
  // path of every event, and building was a visible part of its cost.
  if (!input.startGroup) {
    batch.add(insertSql('rooms', ['room_id', 'room_version', 'creator', 'created_ts', 'current_state_group'], [[input.roomId, input.version.id, input.creator ?? null, input.now, finalGroup.id]]));
  } else if (finalGroup.id !== input.startGroup.id) {
    batch.add(`UPDATE rooms SET current_state_group = ${sqlLiteral(finalGroup.id)} WHERE room_id = ${sqlLiteral(input.roomId)}`);
  }
  batch.add(...eventInsertSql(rows));

  // Current state: only the keys that changed.
  const startState = input.startGroup?.state ?? new Map<string, string>();
  const changed: Array<[string, string, string, string]> = [];
  for (const [k, id] of finalGroup.state) {
    if (startState.get(k) !== id) {
      const [type, sk] = splitStateKey(k);
      changed.push([input.roomId, type, sk, id]);
    }
  }
  if (changed.length > 0) {
    batch.add(insertSql('current_state', ['room_id', 'type', 'state_key', 'event_id'], changed, 'ON CONFLICT (room_id, type, state_key) DO UPDATE SET event_id = excluded.event_id'));
  }

  const last = rows[rows.length - 1]!;
  batch.add(...forwardExtremitySql(input.roomId, input.oldExtremities, [last.eventId]));

  // A later event for the same user in this batch wins.
  const memberships = new Map<string, [string, string, string, string, number, boolean]>();
  for (const r of rows) {
    if (r.pdu.type !== 'm.room.member' || typeof r.pdu.state_key !== 'string') continue;
    memberships.set(r.pdu.state_key, [input.roomId, r.pdu.state_key, String(r.pdu.content.membership), r.eventId, r.streamOrdering, false]);
  }
  if (memberships.size > 0) {
    batch.add(
      insertSql(
        'room_memberships',
        ['room_id', 'user_id', 'membership', 'event_id', 'stream_ordering', 'forgotten'],
        [...memberships.values()],
        'ON CONFLICT (room_id, user_id) DO UPDATE SET membership = excluded.membership, event_id = excluded.event_id, stream_ordering = excluded.stream_ordering, forgotten = excluded.forgotten',
      ),
    );
  }

  batch.add(...eventLinkSql(input.roomId, input.version, rows));
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
