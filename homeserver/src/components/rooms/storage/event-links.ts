import { redactsOf } from '../../../core/auth/index.js';
import type { PDU } from '../../../core/events.js';
import { isJsonObject } from '../../../core/json.js';
import type { RoomVersion } from '../../../core/room-versions.js';
import { insertSql } from '../../../db/sql-literal.js';

/** An event as the relation and redaction tables need it. */
export interface LinkedEvent {
  eventId: string;
  pdu: PDU;
  streamOrdering: number;
}

/**
 * The `event_relations` and `redactions` rows of accepted events of one room, as SQL for a
 * WriteBatch (one statement each for all events). An event stored twice keeps its first rows.
 */
export function eventLinkSql(roomId: string, rv: RoomVersion, events: readonly LinkedEvent[]): string[] {
  const relations = events.flatMap((e) => {
    const rel = e.pdu.content['m.relates_to'];
    if (!isJsonObject(rel) || typeof rel.rel_type !== 'string' || typeof rel.event_id !== 'string') return [];
    return [[e.eventId, roomId, rel.event_id, rel.rel_type, typeof rel.key === 'string' ? rel.key : null, e.pdu.sender, e.pdu.type, e.streamOrdering]];
  });
  const redactions = events.flatMap((e) => {
    if (e.pdu.type !== 'm.room.redaction') return [];
    const target = redactsOf(e.pdu, rv);
    return target ? [[e.eventId, target, roomId]] : [];
  });
  const sql: string[] = [];
  if (relations.length > 0) {
    sql.push(insertSql('event_relations', ['event_id', 'room_id', 'relates_to', 'rel_type', 'aggregation_key', 'sender', 'type', 'stream_ordering'], relations, 'ON CONFLICT (event_id) DO NOTHING'));
  }
  if (redactions.length > 0) sql.push(insertSql('redactions', ['event_id', 'redacts', 'room_id'], redactions, 'ON CONFLICT (event_id) DO NOTHING'));
  return sql;
}
