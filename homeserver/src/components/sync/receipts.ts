import type { Knex } from 'knex';
import type { JsonObject } from '../../core/json.js';
import { StreamIdGenerator } from '../../streams/stream-id.js';
import { LruCache } from '../../util/lru.js';

export interface ReceiptRow {
  room_id: string;
  receipt_type: string;
  user_id: string;
  thread_id: string;
  event_id: string;
  ts: number;
  stream_id: number;
}

export const PRIVATE_RECEIPT = 'm.read.private';

/** A receipt as recorded: `threadId` is '' for an unthreaded one. */
export interface Receipt {
  roomId: string;
  type: string;
  userId: string;
  threadId: string;
  eventId: string;
  eventStream: number;
  ts: number;
}

/** Read receipts: stored, streamed by position, and read back as m.receipt ephemeral events. */
export class Receipts {
  private constructor(
    private readonly db: Knex,
    readonly stream: StreamIdGenerator,
  ) {}

  static async open(db: Knex): Promise<Receipts> {
    const row = (await db('receipts').max({ m: 'stream_id' }).first()) as { m: number | null } | undefined;
    return new Receipts(db, new StreamIdGenerator(Number(row?.m ?? 0)));
  }

  /** Told of every receipt that moved (federation sends our users' public ones on). Returns the way to stop listening. */
  onMoved(listener: (receipt: Receipt) => void): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  private readonly listeners: Array<(receipt: Receipt) => void> = [];

  /** Records a receipt unless the user already has one at or after that event; returns whether it moved. */
  async put(r: Receipt): Promise<boolean> {
    const existing = (await this.db('receipts')
      .select('event_stream_ordering')
      .where({ room_id: r.roomId, receipt_type: r.type, user_id: r.userId, thread_id: r.threadId })
      .first()) as { event_stream_ordering: number } | undefined;
    // Receipts only move forward: an older event read later changes nothing.
    if (existing && Number(existing.event_stream_ordering) >= r.eventStream) return false;
    const reservation = this.stream.reserve();
    try {
      await this.db('receipts')
        .insert({
          room_id: r.roomId,
          receipt_type: r.type,
          user_id: r.userId,
          thread_id: r.threadId,
          event_id: r.eventId,
          event_stream_ordering: r.eventStream,
          ts: r.ts,
          stream_id: reservation.ids[0],
        })
        .onConflict(['room_id', 'receipt_type', 'user_id', 'thread_id'])
        .merge(['event_id', 'event_stream_ordering', 'ts', 'stream_id']);
    } finally {
      this.generation++;
      this.positions.delete(r.userId);
      reservation.done();
    }
    for (const l of this.listeners) l(r);
    return true;
  }

  /** Receipts in the rooms with stream_id in (since, to], as one m.receipt event per room. */
  async forRooms(roomIds: readonly string[], since: number, to: number, viewer: string): Promise<Map<string, JsonObject>> {
    const out = new Map<string, JsonObject>();
    if (roomIds.length === 0 || to <= since) return out;
    const rows = (await this.db('receipts')
      .select('room_id', 'receipt_type', 'user_id', 'thread_id', 'event_id', 'ts')
      .whereIn('room_id', [...roomIds])
      .andWhere('stream_id', '>', since)
      .andWhere('stream_id', '<=', to)
      .andWhere((q) => q.whereNot('receipt_type', PRIVATE_RECEIPT).orWhere('user_id', viewer))) as ReceiptRow[];
    for (const r of rows) {
      let content = out.get(r.room_id);
      if (!content) out.set(r.room_id, (content = {}));
      const byEvent = (content[r.event_id] ??= {}) as JsonObject;
      const byType = (byEvent[r.receipt_type] ??= {}) as JsonObject;
      const entry: JsonObject = { ts: Number(r.ts) };
      if (r.thread_id !== '') entry.thread_id = r.thread_id;
      byType[r.user_id] = entry;
    }
    return out;
  }

  /** The stream position of the user's latest public or private read receipt in a room (unthreaded or main). */
  async readPosition(userId: string, roomIds: readonly string[]): Promise<Map<string, number>> {
    let all = this.positions.get(userId);
    if (!all) {
      const generation = this.generation;
      const rows = (await this.db('receipts')
        .select('room_id')
        .max({ pos: 'event_stream_ordering' })
        .where('user_id', userId)
        .whereIn('receipt_type', ['m.read', PRIVATE_RECEIPT])
        .whereIn('thread_id', ['', 'main'])
        .groupBy('room_id')) as Array<{ room_id: string; pos: number }>;
      all = new Map(rows.map((r) => [r.room_id, Number(r.pos)]));
      if (generation === this.generation) this.positions.set(userId, all);
    }
    const out = new Map<string, number>();
    for (const r of roomIds) {
      const p = all.get(r);
      if (p !== undefined) out.set(r, p);
    }
    return out;
  }

  /** Read positions per user (all rooms), cached until the user's next receipt. */
  private readonly positions = new LruCache<string, Map<string, number>>(50_000);
  private generation = 0;
}
