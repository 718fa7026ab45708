/**
 * Hands out increasing stream positions to writers and tells readers how far the stream is
 * complete. Writers finish out of order (rooms persist in parallel), so a reader may only see up
 * to the highest position below which every reserved position has finished; otherwise a sync
 * token could pass over an event still being written and miss it forever.
 */
export class StreamIdGenerator {
  private last: number;
  private readonly pending = new Set<number>();
  private completed: number;
  private readonly listeners = new Set<(position: number) => void>();

  constructor(start: number) {
    this.last = start;
    this.completed = start;
  }

  /** Reserves the next `count` positions; call the returned function once they are persisted or abandoned. */
  reserve(count = 1): { ids: number[]; done: () => void } {
    const ids: number[] = [];
    for (let i = 0; i < count; i++) {
      this.last += 1;
      ids.push(this.last);
      this.pending.add(this.last);
    }
    let finished = false;
    return {
      ids,
      done: () => {
        if (finished) return;
        finished = true;
        for (const id of ids) this.pending.delete(id);
        this.advance();
      },
    };
  }

  /** The highest position with nothing unfinished at or below it. */
  current(): number {
    return this.completed;
  }

  /** Called whenever current() moves forward. */
  onAdvance(listener: (position: number) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private advance(): void {
    let lowestPending = Infinity;
    for (const id of this.pending) if (id < lowestPending) lowestPending = id;
    const next = lowestPending === Infinity ? this.last : lowestPending - 1;
    if (next > this.completed) {
      this.completed = next;
      for (const l of this.listeners) l(next);
    }
  }
}
