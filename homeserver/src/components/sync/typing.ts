/** The longest a client may ask to be shown as typing without renewing. */
export const MAX_TYPING_MS = 120_000;

/** Told of every typing notice (renewals included) and of every end of one. */
export type TypingListener = (roomId: string, userId: string, typing: boolean) => void;

/**
 * Who is typing where. Held in memory only: typing is ephemeral and not worth a write. Every
 * change takes the next position of the typing stream.
 */
export class Typing {
  private position = 0;
  private readonly rooms = new Map<string, { users: Map<string, NodeJS.Timeout>; changedAt: number }>();
  private readonly listeners: TypingListener[] = [];

  constructor(private readonly onChange: (roomId: string) => void) {}

  /** Federation sends our users' typing to the room's other servers from here. Returns the way to stop listening. */
  listen(listener: TypingListener): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  current(): number {
    return this.position;
  }

  set(roomId: string, userId: string, typing: boolean, timeoutMs: number): void {
    let room = this.rooms.get(roomId);
    const had = room?.users.has(userId) ?? false;
    if (room) clearTimeout(room.users.get(userId));
    if (!typing) {
      if (!had) return;
      room!.users.delete(userId);
    } else {
      if (!room) this.rooms.set(roomId, (room = { users: new Map(), changedAt: 0 }));
      const timer = setTimeout(() => this.set(roomId, userId, false, 0), Math.min(Math.max(timeoutMs, 0), MAX_TYPING_MS));
      timer.unref();
      room.users.set(userId, timer);
      for (const l of this.listeners) l(roomId, userId, true);
      // Renewing an ongoing typing notice changes nothing clients see.
      if (had) return;
    }
    room!.changedAt = ++this.position;
    this.onChange(roomId);
    if (!typing) for (const l of this.listeners) l(roomId, userId, false);
  }

  /** The typing users of a room if its list changed after `since` (always, for since = undefined). */
  changedSince(roomId: string, since: number | undefined): string[] | undefined {
    const room = this.rooms.get(roomId);
    if (!room) return undefined;
    // An empty list matters only to clients that saw it non-empty, i.e. incremental syncs.
    if (since === undefined ? room.users.size === 0 : room.changedAt <= since) return undefined;
    return [...room.users.keys()].sort();
  }

  stop(): void {
    for (const room of this.rooms.values()) for (const t of room.users.values()) clearTimeout(t);
    this.rooms.clear();
  }
}
