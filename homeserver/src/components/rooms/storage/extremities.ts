import type { Knex } from 'knex';

/**
 * Moves a room's forward extremities: `gone` stop being tips, `added` become tips. A linear room
 * (one tip replaced by one) takes a single UPDATE instead of a delete and an insert.
 */
export async function moveForwardExtremities(trx: Knex.Transaction, roomId: string, gone: readonly string[], added: readonly string[]): Promise<void> {
  if (gone.length === 1 && added.length === 1) {
    const moved = await trx('room_forward_extremities').update({ event_id: added[0] }).where({ room_id: roomId, event_id: gone[0] });
    if (Number(moved) > 0) return;
  }
  if (gone.length > 0) await trx('room_forward_extremities').where('room_id', roomId).whereIn('event_id', [...gone]).delete();
  if (added.length > 0) await trx('room_forward_extremities').insert(added.map((event_id) => ({ room_id: roomId, event_id }))).onConflict(['room_id', 'event_id']).ignore();
}
