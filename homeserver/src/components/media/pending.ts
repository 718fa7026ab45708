import type { MediaKey } from './storage/media.js';

/**
 * Wakes downloads waiting for an asynchronous upload (`timeout_ms`) when its bytes arrive in
 * this process. Waiters also re-check the database on a short period, so an upload finished by
 * another worker process is seen too.
 */
export class PendingUploads {
  private readonly waiters = new Map<string, Set<() => void>>();

  /** Resolves when `key` is notified or after `ms`, whichever comes first. */
  wait(key: MediaKey, ms: number): Promise<void> {
    const id = `${key.serverName}/${key.mediaId}`;
    return new Promise<void>((resolve) => {
      let set = this.waiters.get(id);
      if (!set) this.waiters.set(id, (set = new Set()));
      const wake = (): void => {
        clearTimeout(timer);
        set.delete(wake);
        if (set.size === 0 && this.waiters.get(id) === set) this.waiters.delete(id);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      set.add(wake);
    });
  }

  notify(key: MediaKey): void {
    for (const wake of [...(this.waiters.get(`${key.serverName}/${key.mediaId}`) ?? [])]) wake();
  }

  /** Wakes every waiter (shutdown), so requests end now instead of at their timeout. */
  wakeAll(): void {
    for (const set of [...this.waiters.values()]) for (const wake of [...set]) wake();
  }
}
