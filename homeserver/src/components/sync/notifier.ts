/**
 * Wakes waiting long-polls and WebSockets. A waiter names the rooms and the user it cares about;
 * a change to one of them resolves it. Each room and user remembers the last position it was
 * poked at, so a waiter that registers just after a change is woken at once instead of sleeping
 * through it.
 */
export interface Waiter {
  readonly userId: string;
  readonly rooms: ReadonlySet<string>;
  wake(): void;
  expire(): void;
}

export class Notifier {
  private readonly byRoom = new Map<string, Set<Waiter>>();
  private readonly byUser = new Map<string, Set<Waiter>>();
  /** A monotonically increasing counter of pokes, so "changed since I looked" is one comparison. */
  private tick = 0;
  private closed = false;
  private readonly roomTick = new Map<string, number>();
  private readonly userTick = new Map<string, number>();

  /** The current poke counter; pass it to wait() to catch pokes that happen in between. */
  now(): number {
    return this.tick;
  }

  /**
   * Resolves on the first relevant poke after `since` (a value of now()), on timeout, or on abort.
   * Returns whether it was woken by a change.
   */
  wait(userId: string, rooms: ReadonlySet<string>, since: number, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    if ((this.userTick.get(userId) ?? 0) > since) return Promise.resolve(true);
    for (const r of rooms) if ((this.roomTick.get(r) ?? 0) > since) return Promise.resolve(true);
    if (timeoutMs <= 0 || signal?.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const finish = (woken: boolean): void => {
        clearTimeout(timer);
        this.remove(waiter);
        signal?.removeEventListener('abort', onAbort);
        resolve(woken);
      };
      const onAbort = (): void => finish(false);
      const waiter: Waiter = { userId, rooms, wake: () => finish(true), expire: () => finish(false) };
      const timer = setTimeout(() => finish(false), timeoutMs);
      this.add(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Something in the room changed (an event, typing, a receipt). */
  pokeRoom(roomId: string): void {
    this.roomTick.set(roomId, ++this.tick);
    const set = this.byRoom.get(roomId);
    if (set) for (const w of [...set]) w.wake();
  }

  /** Something of the user's changed (account data, to-device, membership in a new room). */
  pokeUser(userId: string): void {
    this.userTick.set(userId, ++this.tick);
    const set = this.byUser.get(userId);
    if (set) for (const w of [...set]) w.wake();
  }

  /** Shutdown: every wait ends now (as a timeout would) and later ones return at once. */
  close(): void {
    this.closed = true;
    for (const set of [...this.byUser.values()]) for (const w of [...set]) w.expire();
  }

  /** Number of requests waiting, for metrics and tests. */
  get waiting(): number {
    let n = 0;
    for (const s of this.byUser.values()) n += s.size;
    return n;
  }

  private add(w: Waiter): void {
    let u = this.byUser.get(w.userId);
    if (!u) this.byUser.set(w.userId, (u = new Set()));
    u.add(w);
    for (const r of w.rooms) {
      let s = this.byRoom.get(r);
      if (!s) this.byRoom.set(r, (s = new Set()));
      s.add(w);
    }
  }

  private remove(w: Waiter): void {
    const u = this.byUser.get(w.userId);
    u?.delete(w);
    if (u?.size === 0) this.byUser.delete(w.userId);
    for (const r of w.rooms) {
      const s = this.byRoom.get(r);
      s?.delete(w);
      if (s?.size === 0) this.byRoom.delete(r);
    }
  }
}
