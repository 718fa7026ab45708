import type { StoredEvent } from '../storage/events.js';

export type PersistedListener = (events: readonly StoredEvent[]) => void;

/**
 * The "notify" end of the event pipeline: sync, federation senders, push and application services
 * subscribe here. Listeners run after the commit and must not throw or block.
 */
export class RoomEventBus {
  private readonly listeners = new Set<PersistedListener>();

  subscribe(listener: PersistedListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(events: readonly StoredEvent[]): void {
    for (const l of this.listeners) {
      try {
        l(events);
      } catch {
        // A failing subscriber must not undo or block a persisted event.
      }
    }
  }
}
