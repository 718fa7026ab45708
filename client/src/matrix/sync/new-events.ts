import type { MatrixEvent, SyncResponse } from '../types';
import type { SyncState } from './accumulator';

/** The events of a sync response's joined rooms that were not in the timeline before. */
export function newTimelineEvents(before: SyncState, res: SyncResponse): Array<[string, MatrixEvent[]]> {
  const out: Array<[string, MatrixEvent[]]> = [];
  for (const [roomId, room] of Object.entries(res.rooms?.join ?? {})) {
    const events = room.timeline?.events ?? [];
    if (events.length === 0) continue;
    const known = new Set(before.rooms[roomId]?.timeline.map((e) => e.event_id));
    out.push([roomId, events.filter((e) => !known.has(e.event_id))]);
  }
  return out;
}
