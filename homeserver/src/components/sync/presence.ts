import type { Knex } from 'knex';
import type { JsonObject } from '../../core/json.js';
import { StreamIdGenerator } from '../../streams/stream-id.js';

export type PresenceState = 'online' | 'unavailable' | 'offline';

interface Entry {
  state: PresenceState;
  statusMsg: string | null;
  lastActive: number;
  /** Last time a sync or presence update came from the user: drives the idle timeout. */
  lastSeen: number;
  streamId: number;
  /** Reported by another server, which sends updates on change and every so often between. */
  remote?: boolean;
}

/**
 * A remote user without news from their server for this long goes offline. Servers repeat the
 * presence of users who stay online well within it (see sync/federation-edus.ts).
 */
export const REMOTE_PRESENCE_TIMEOUT_MS = 30 * 60_000;

export interface PresenceOptions {
  enabled: boolean;
  /** A user with no sync for this long goes offline. */
  offlineAfterMs: number;
  /** Activity within this window counts as currently_active. */
  activeWindowMs?: number;
}

/**
 * Presence kept in memory for speed (every sync touches it) and written through to the database
 * only when what others see changes (state or status), so activity costs no writes.
 */
/** Presence changes remembered for changedSince; older questions scan the people instead. */
const MAX_LOG = 20_000;

export class Presence {
  private readonly entries = new Map<string, Entry>();
  /** Recent changes in stream order; complete for every position from logCompleteAfter on. */
  private readonly log: Array<{ streamId: number; userId: string }> = [];
  private logCompleteAfter = Number.MAX_SAFE_INTEGER;
  private sweeper: NodeJS.Timeout | undefined;

  private constructor(
    private readonly db: Knex,
    readonly stream: StreamIdGenerator,
    readonly options: PresenceOptions,
    private readonly onChange: (userId: string) => void,
  ) {}

  static async open(db: Knex, options: PresenceOptions, onChange: (userId: string) => void): Promise<Presence> {
    const rows = (await db('presence').select('user_id', 'state', 'status_msg', 'last_active_ts', 'stream_id')) as Array<{
      user_id: string;
      state: PresenceState;
      status_msg: string | null;
      last_active_ts: number;
      stream_id: number;
    }>;
    const max = rows.reduce((m, r) => Math.max(m, Number(r.stream_id)), 0);
    const p = new Presence(db, new StreamIdGenerator(max), options, onChange);
    p.logCompleteAfter = max;
    for (const r of rows) {
      p.entries.set(r.user_id, { state: r.state, statusMsg: r.status_msg, lastActive: Number(r.last_active_ts), lastSeen: 0, streamId: Number(r.stream_id) });
    }
    if (options.enabled) {
      p.sweeper = setInterval(() => void p.sweep(), Math.min(options.offlineAfterMs, 10_000));
      p.sweeper.unref();
    }
    return p;
  }

  get enabled(): boolean {
    return this.options.enabled;
  }

  /** A user set their presence explicitly (PUT /presence) or implicitly by syncing with set_presence. */
  async set(userId: string, state: PresenceState, statusMsg: string | null | undefined, now = Date.now()): Promise<void> {
    if (!this.options.enabled) return;
    const old = this.entries.get(userId);
    const next: Entry = {
      state,
      statusMsg: statusMsg === undefined ? (old?.statusMsg ?? null) : statusMsg,
      lastActive: state === 'online' ? now : (old?.lastActive ?? now),
      lastSeen: now,
      streamId: old?.streamId ?? 0,
    };
    const visibleChange = !old || old.state !== next.state || old.statusMsg !== next.statusMsg;
    if (!visibleChange) {
      old.lastActive = next.lastActive;
      old.lastSeen = now;
      return;
    }
    await this.persist(userId, next);
  }

  /** A sync arrived: the user is seen; `online` unless they asked otherwise. */
  async touch(userId: string, setPresence: PresenceState | undefined): Promise<void> {
    if (!this.options.enabled || setPresence === 'offline') return;
    const current = this.entries.get(userId);
    const state = setPresence ?? (current?.state === 'unavailable' ? 'unavailable' : 'online');
    await this.set(userId, state, undefined);
  }

  /** Presence another server reported for one of its users. */
  async setRemote(userId: string, state: PresenceState, statusMsg: string | null, lastActiveAgo: number, now = Date.now()): Promise<void> {
    if (!this.options.enabled) return;
    const old = this.entries.get(userId);
    const next: Entry = { state, statusMsg, lastActive: now - Math.max(0, lastActiveAgo), lastSeen: now, streamId: old?.streamId ?? 0, remote: true };
    if (old && old.state === next.state && old.statusMsg === next.statusMsg) {
      old.lastActive = next.lastActive;
      old.lastSeen = now;
      old.remote = true;
      return;
    }
    await this.persist(userId, next);
  }

  /** Users whose presence is not offline, for repeating it to other servers. */
  notOffline(): string[] {
    const out: string[] = [];
    for (const [userId, e] of this.entries) if (e.state !== 'offline') out.push(userId);
    return out;
  }

  get(userId: string): JsonObject | undefined {
    const e = this.entries.get(userId);
    if (!e) return undefined;
    return this.format(e);
  }

  /** Presence events for `users` that changed in (since, to]. */
  changedSince(users: Iterable<string>, since: number, to: number): JsonObject[] {
    const out: JsonObject[] = [];
    if (users instanceof Set && since >= this.logCompleteAfter) {
      // Few changes, many people: walk the changes, not the people (each of thousands of syncing
      // connections asks this whenever presence moves).
      const seen = new Set<string>();
      for (let i = this.log.length - 1; i >= 0; i--) {
        const c = this.log[i]!;
        if (c.streamId <= since) break;
        if (c.streamId > to || seen.has(c.userId) || !users.has(c.userId)) continue;
        seen.add(c.userId);
        const e = this.entries.get(c.userId);
        if (e && e.streamId > since && e.streamId <= to) out.push({ type: 'm.presence', sender: c.userId, content: { ...this.format(e), user_id: c.userId } });
      }
      return out;
    }
    for (const u of users) {
      const e = this.entries.get(u);
      if (e && e.streamId > since && e.streamId <= to) out.push({ type: 'm.presence', sender: u, content: { ...this.format(e), user_id: u } });
    }
    return out;
  }

  stop(): void {
    clearInterval(this.sweeper);
  }

  private format(e: Entry): JsonObject {
    const now = Date.now();
    const out: JsonObject = { presence: e.state, last_active_ago: Math.max(0, now - e.lastActive) };
    if (e.state !== 'offline') out.currently_active = now - e.lastActive < (this.options.activeWindowMs ?? 60_000);
    if (e.statusMsg !== null) out.status_msg = e.statusMsg;
    return out;
  }

  private async persist(userId: string, e: Entry): Promise<void> {
    const reservation = this.stream.reserve();
    e.streamId = reservation.ids[0]!;
    this.entries.set(userId, e);
    this.log.push({ streamId: e.streamId, userId });
    if (this.log.length > MAX_LOG) this.logCompleteAfter = this.log.splice(0, MAX_LOG / 4).at(-1)!.streamId;
    try {
      await this.db('presence')
        .insert({ user_id: userId, state: e.state, status_msg: e.statusMsg, last_active_ts: e.lastActive, stream_id: e.streamId })
        .onConflict('user_id')
        .merge();
    } finally {
      reservation.done();
    }
    this.onChange(userId);
  }

  /** Users who stopped syncing go offline, as do remote users whose server went quiet. */
  private async sweep(): Promise<void> {
    const cutoff = Date.now() - this.options.offlineAfterMs;
    const remoteCutoff = Date.now() - REMOTE_PRESENCE_TIMEOUT_MS;
    for (const [userId, e] of this.entries) {
      if (e.state !== 'offline' && e.lastSeen < (e.remote ? remoteCutoff : cutoff)) {
        await this.persist(userId, { ...e, state: 'offline' }).catch(() => undefined);
      }
    }
  }
}
