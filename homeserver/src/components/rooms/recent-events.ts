import type { StoredEvent } from './storage/events.js';

interface Entry {
  stream: number;
  eventId: string;
}

const PER_ROOM = 256;

/**
 * The newest events of each room by stream position, as this process persisted them. Since
 * every event persisted after start passes through here, "which rooms changed since N" and "what
 * came after N in this room" are answered from memory for any N at or after the start position,
 * which is what nearly every incremental sync asks. Older questions fall back to the database.
 */
export class RecentEvents {
  private readonly rooms = new Map<string, Entry[]>();

  constructor(readonly startPosition: number) {}

  observe(events: readonly StoredEvent[]): void {
    for (const e of events) {
      if (e.outlier) continue;
      let list = this.rooms.get(e.roomId);
      if (!list) this.rooms.set(e.roomId, (list = []));
      list.push({ stream: e.streamOrdering, eventId: e.eventId });
      // Writers of one room are serialised, so a room's list is already in stream order.
      if (list.length > PER_ROOM) list.splice(0, list.length - PER_ROOM);
    }
  }

  /** Rooms with events in (from, to], or undefined when memory cannot say. */
  roomsWithEvents(roomIds: readonly string[], from: number, to: number): Set<string> | undefined {
    if (from < this.startPosition) return undefined;
    const out = new Set<string>();
    for (const r of roomIds) {
      const list = this.rooms.get(r);
      if (!list) continue;
      // From the newest end: a sync that is up to date looks at the one or two events it lacks,
      // not at the room's whole list.
      for (let i = list.length - 1; i >= 0 && list[i]!.stream > from; i--) {
        if (list[i]!.stream <= to) {
          out.add(r);
          break;
        }
      }
    }
    return out;
  }

  /**
   * The ID of a room's oldest event in (from, to], null when there is none, undefined when memory
   * does not hold all of them (as range). Walks from the newest end, so a recent `from` costs
   * only the events after it.
   */
  oldestIn(roomId: string, from: number, to: number): string | null | undefined {
    if (from < this.startPosition) return undefined;
    const list = this.rooms.get(roomId) ?? [];
    if (list.length >= PER_ROOM && list[0]!.stream > from) return undefined;
    let oldest: string | null = null;
    for (let i = list.length - 1; i >= 0 && list[i]!.stream > from; i--) if (list[i]!.stream <= to) oldest = list[i]!.eventId;
    return oldest;
  }

  /** Event IDs of a room in (from, to], oldest first, or undefined when memory does not hold all of them. */
  range(roomId: string, from: number, to: number): string[] | undefined {
    if (from < this.startPosition) return undefined;
    const list = this.rooms.get(roomId) ?? [];
    // Entries are dropped oldest first: the list holds everything after `from` if nothing was
    // ever dropped, or if its oldest kept entry is not after `from`.
    const complete = list.length < PER_ROOM || list[0]!.stream <= from;
    if (!complete) return undefined;
    let first = list.length;
    while (first > 0 && list[first - 1]!.stream > from) first--;
    const ids: string[] = [];
    for (let i = first; i < list.length && list[i]!.stream <= to; i++) ids.push(list[i]!.eventId);
    return ids;
  }
}
