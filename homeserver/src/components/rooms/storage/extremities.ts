import { insertSql, sqlLiteral } from '../../../db/sql-literal.js';

/**
 * The statements that move a room's forward extremities, as SQL for a WriteBatch: `gone` stop being
 * tips, `added` become tips. A linear room (one tip replaced by one) takes a single statement
 * instead of a delete and an insert.
 */
export function forwardExtremitySql(roomId: string, gone: readonly string[], added: readonly string[]): string[] {
  const room = sqlLiteral(roomId);
  if (gone.length === 1 && added.length === 1) {
    const [from, to] = [sqlLiteral(gone[0]), sqlLiteral(added[0])];
    // The old tip becomes the new one; when it was not a tip (nothing to move), the new one is added.
    return [
      `WITH moved AS (UPDATE room_forward_extremities SET event_id = ${to} WHERE room_id = ${room} AND event_id = ${from} RETURNING 1)
       INSERT INTO room_forward_extremities (room_id, event_id) SELECT ${room}, ${to} WHERE NOT EXISTS (SELECT 1 FROM moved)
       ON CONFLICT (room_id, event_id) DO NOTHING`,
    ];
  }
  const out: string[] = [];
  if (gone.length > 0) out.push(`DELETE FROM room_forward_extremities WHERE room_id = ${room} AND event_id IN (${gone.map(sqlLiteral).join(',')})`);
  if (added.length > 0) {
    out.push(
      insertSql(
        'room_forward_extremities',
        ['room_id', 'event_id'],
        added.map((id) => [roomId, id]),
        'ON CONFLICT (room_id, event_id) DO NOTHING',
      ),
    );
  }
  return out;
}
