import type { Cancellation } from '../../util/cancel.js';

/**
 * Wakes waiting long-polls and WebSockets. A waiter names the rooms and the user it cares about;
 * a change to one of them resolves it. Each room and user remembers the last position it was
 * poked at, so a waiter that registers just after a change is woken at once instead of sleeping
 * through it.
 */
export interface Waiter {
  readonly userId: string;
  rooms: ReadonlySet<string>;
  wake(): void;
  expire(): void;
}

/**
 * A standing registration, for a WebSocket that waits again right after each push: it stays in
 * the notifier's maps across pushes instead of being added and removed (with a promise, a timer
 * and an abort listener) every time, which at thousands of pushes a second was real work.
 */
export interface Subscription {
  /** Changes the rooms listened on; returns whether one of the new rooms was poked after `since`. */
  setRooms(rooms: ReadonlySet<string>, since: number): boolean;
  close(): void;
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
   * Resolves on the first relevant poke after `since` (a value of now()), on timeout, or on
   * cancellation. Returns whether it was woken by a change.
   */
  wait(userId: string, rooms: ReadonlySet<string>, since: number, timeoutMs: number, cancel?: Cancellation): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    if (this.pokedSince(userId, rooms, since)) return Promise.resolve(true);
    if (timeoutMs <= 0 || cancel?.cancelled) return Promise.resolve(false);
    return new Promise((resolve) => {
      let finished = false;
      const finish = (woken: boolean): void => {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        this.remove(waiter);
        unlisten?.();
        resolve(woken);
      };
      const waiter: Waiter = { userId, rooms, wake: () => finish(true), expire: () => finish(false) };
      const timer = setTimeout(() => finish(false), timeoutMs);
      this.add(waiter);
      const unlisten = cancel?.onCancel(() => finish(false));
    });
  }

  /**
   * Calls `onPoke` on every poke of the user or of one of `rooms` after `since` (a value of now()),
   * at once for one that already happened, and `onClose` when the notifier shuts down; until closed.
   */
  subscribe(userId: string, rooms: ReadonlySet<string>, since: number, onPoke: () => void, onClose: () => void): Subscription {
    const waiter: Waiter = { userId, rooms, wake: onPoke, expire: onClose };
    let open = !this.closed;
    if (open) {
      this.add(waiter);
      if (this.pokedSince(userId, rooms, since)) onPoke();
    } else queueMicrotask(onClose);
    return {
      setRooms: (next, since) => {
        if (!open || sameRooms(waiter.rooms, next)) return false;
        let missed = false;
        for (const r of next) if (!waiter.rooms.has(r) && (this.roomTick.get(r) ?? 0) > since) missed = true;
        this.remove(waiter);
        waiter.rooms = next;
        this.add(waiter);
        return missed;
      },
      close: () => {
        if (open) this.remove(waiter);
        open = false;
      },
    };
  }

  /** Something in the room changed (an event, typing, a receipt). */
  pokeRoom(roomId: string): void {
    this.roomTick.set(roomId, ++this.tick);
    const set = this.byRoom.get(roomId);
    // Iterating the live set is safe: a waiter woken removes only itself, and no one adds synchronously.
    if (set) for (const w of set) w.wake();
  }

  /** Something of the user's changed (account data, to-device, membership in a new room). */
  pokeUser(userId: string): void {
    this.userTick.set(userId, ++this.tick);
    const set = this.byUser.get(userId);
    if (set) for (const w of set) w.wake();
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

  private pokedSince(userId: string, rooms: ReadonlySet<string>, since: number): boolean {
    if ((this.userTick.get(userId) ?? 0) > since) return true;
    for (const r of rooms) if ((this.roomTick.get(r) ?? 0) > since) return true;
    return false;
  }

  private add(w: Waiter): void {
    if (this.closed) return;
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

function sameRooms(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  if (a === b) return true;
  if (a.size !== b.size) return false;
  for (const r of b) if (!a.has(r)) return false;
  return true;
}
