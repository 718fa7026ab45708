import type { Logger } from '../../log/logger.js';

/**
 * Derived data kept up to date after commits, one task per key at a time. A key scheduled again
 * before its task ran keeps only the newest task: tasks recompute from current data, so running
 * the last one is enough. Readers that must see every change made so far await `settled()`.
 */
export class BackgroundTasks {
  private readonly pending = new Map<string, () => Promise<void>>();
  private worker: Promise<void> | undefined;

  constructor(private readonly log: Logger) {}

  schedule(key: string, task: () => Promise<void>): void {
    this.pending.set(key, task);
    this.worker ??= this.run();
  }

  /** Resolves once every task scheduled so far has run. */
  async settled(): Promise<void> {
    while (this.worker) await this.worker;
  }

  private async run(): Promise<void> {
    // Yield first so `worker` is assigned before the loop can clear it.
    await Promise.resolve();
    for (;;) {
      const batch = [...this.pending];
      this.pending.clear();
      if (batch.length === 0) {
        this.worker = undefined;
        return;
      }
      for (const [key, task] of batch) {
        try {
          await task();
        } catch (err) {
          // Derived data is repaired at the next change or start; a failure must not stop the rest.
          this.log.warn({ err, key }, 'background task failed');
        }
      }
    }
  }
}
