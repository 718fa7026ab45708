/**
 * Runs at most `limit` tasks at once, the others waiting their turn in arrival order.
 *
 * Sync uses it for the work one room change sets off: a message in a room of 100 members wakes
 * 100 connections at the same moment. Run all at once, their async steps interleave, each step
 * of one connection's sync finding the caches full of the 99 others' data; run a few at a time,
 * each connection's sync runs to its end with its data still at hand. The first members also get
 * their message sooner, the last no later.
 */
export class Gate {
  private running = 0;
  /** Waiting tasks from `head` on; a queue by index, as thousands may wait (Array.shift copies). */
  private waiting: Array<() => void> = [];
  private head = 0;

  /** Tasks handed a place since the last pause for I/O. */
  private sinceYield = 0;

  /**
   * `yieldEvery`: after that many tasks handed over in a row, the next waits for a turn of the
   * event loop (setImmediate), so that I/O that came meanwhile (a database answer the next
   * message's commit waits for, new requests) is not held up until the whole queue is through.
   * `bulk`: while at least `waiting` tasks wait (a wave that can only be worked through, such as
   * one message to thousands of connections), a turn comes after `yieldEvery` tasks instead: each
   * turn of the loop costs time of its own, which a long wave would pay thousands of times.
   */
  constructor(
    private readonly limit: number,
    private readonly yieldEvery = Infinity,
    private readonly bulk?: { waiting: number; yieldEvery: number },
  ) {
    if (limit < 1) throw new Error('Gate limit must be at least 1');
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running < this.limit) this.running++;
    // A finishing task hands its place straight to the next in line (running stays as it is).
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await task();
    } finally {
      const next = this.next();
      if (!next) this.running--;
      else if (++this.sinceYield < (this.inBulk ? this.bulk!.yieldEvery : this.yieldEvery)) next();
      else {
        this.sinceYield = 0;
        setImmediate(next);
      }
    }
  }

  private next(): (() => void) | undefined {
    if (this.head >= this.waiting.length) {
      // Empty: start the array over rather than let it grow.
      if (this.head > 0) {
        this.waiting = [];
        this.head = 0;
      }
      return undefined;
    }
    const next = this.waiting[this.head++];
    if (this.head >= 1024 && this.head * 2 >= this.waiting.length) {
      this.waiting = this.waiting.slice(this.head);
      this.head = 0;
    }
    return next;
  }

  /** Whether so many tasks wait that they are run as a wave (`bulk`). */
  get inBulk(): boolean {
    return this.bulk !== undefined && this.queued >= this.bulk.waiting;
  }

  /** Tasks waiting for a place, for tests and metrics. */
  get queued(): number {
    return this.waiting.length - this.head;
  }
}
