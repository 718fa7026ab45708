import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import type { PushRuleset } from '../../core/push-rules/defaults.js';
import type { Logger } from '../../log/logger.js';
import { insertSql } from '../../db/sql-literal.js';
import { WriteBatch } from '../../db/write-batch.js';

/** Unread counts of one user in one room: up to stream position `upTo`, after read position `after`. */
export interface UnreadCounts {
  after: number;
  upTo: number;
  notifications: number;
  highlights: number;
  rules: PushRuleset;
}

export type UnreadCheckpoint = Omit<UnreadCounts, 'rules'>;

/** Rows per statement when writing checkpoints. */
const CHUNK = 1000;

const tags = new WeakMap<PushRuleset, string>();

/**
 * A fingerprint of a ruleset: counts made under other rules are not reused. JSON text, not
 * canonical JSON: the same stored rules read back give the same text, and a differing text only
 * costs a recount.
 */
export function rulesTag(rules: PushRuleset): string {
  let tag = tags.get(rules);
  if (tag === undefined) {
    tag = createHash('sha256').update(JSON.stringify(rules)).digest('base64');
    tags.set(rules, tag);
  }
  return tag;
}

/**
 * Unread counts kept in the database from time to time, so a server that starts again does not
 * read and evaluate every unread event of every room to count them anew: it counts only what came
 * after the checkpoint. A checkpoint is a cache: it is used only for the same read position and
 * the same push rules, and one that cannot be written is merely not there next time.
 */
export class UnreadCheckpoints {
  private readonly dirty = new Map<string, { roomId: string; userId: string; counts: UnreadCounts }>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Knex,
    private readonly log: Logger | undefined,
    private readonly intervalMs = 10_000,
  ) {}

  /** `counts` changed (the object may change again in place: what is written is its value at the flush). */
  note(key: string, roomId: string, userId: string, counts: UnreadCounts): void {
    if (this.dirty.has(key)) return;
    this.dirty.set(key, { roomId, userId, counts });
    if (this.timer === undefined && this.intervalMs > 0) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        void this.flush();
      }, this.intervalMs);
      this.timer.unref();
    }
  }

  /** The user's checkpoints in these rooms made under `rules`. */
  async load(userId: string, roomIds: readonly string[], rules: PushRuleset): Promise<Map<string, UnreadCheckpoint>> {
    const out = new Map<string, UnreadCheckpoint>();
    if (roomIds.length === 0) return out;
    const rows = (await this.db('room_unread_checkpoints')
      .select('room_id', 'after_stream', 'up_to', 'notifications', 'highlights')
      .where({ user_id: userId, rules_tag: rulesTag(rules) })
      .whereIn('room_id', roomIds)) as Array<{ room_id: string; after_stream: string | number; up_to: string | number; notifications: number; highlights: number }>;
    for (const r of rows) out.set(r.room_id, { after: Number(r.after_stream), upTo: Number(r.up_to), notifications: r.notifications, highlights: r.highlights });
    return out;
  }

  /** Writes what changed since the last flush, in one message. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.write());
    return this.flushing;
  }

  /** Writes what is left and stops the timer (at shutdown). */
  async stop(): Promise<void> {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  private async write(): Promise<void> {
    if (this.dirty.size === 0) return;
    const rows = [...this.dirty.values()].map(({ roomId, userId, counts: c }) => [userId, roomId, c.after, c.upTo, c.notifications, c.highlights, rulesTag(c.rules)] as const);
    this.dirty.clear();
    const batch = new WriteBatch();
    for (let i = 0; i < rows.length; i += CHUNK) {
      batch.add(
        insertSql(
          'room_unread_checkpoints',
          ['user_id', 'room_id', 'after_stream', 'up_to', 'notifications', 'highlights', 'rules_tag'],
          rows.slice(i, i + CHUNK),
          'ON CONFLICT (user_id, room_id) DO UPDATE SET after_stream = excluded.after_stream, up_to = excluded.up_to, notifications = excluded.notifications, highlights = excluded.highlights, rules_tag = excluded.rules_tag',
        ),
      );
    }
    try {
      await batch.commit(this.db);
    } catch (err) {
      this.log?.warn({ err, rows: rows.length }, 'could not write unread-count checkpoints');
    }
  }
}
