import type { Knex } from 'knex';
import { roomEventOf, type PDU, type RoomEvent } from '../../../core/events.js';
import { LruCache } from '../../../util/lru.js';
import { insertSql } from '../../../db/sql-literal.js';
import { WriteBatch } from '../../../db/write-batch.js';
import { anyText } from '../../../db/json-list.js';
import { Coalescer } from '../../../util/coalesce.js';
import { groupBy } from '../../../util/group-by.js';

/** An event as this server holds it. The PDU is shared with the cache: never mutate it. */
export interface StoredEvent {
  readonly eventId: string;
  readonly roomId: string;
  readonly streamOrdering: number;
  readonly depth: number;
  readonly pdu: Readonly<PDU>;
  readonly outlier: boolean;
  readonly rejectedReason: string | null;
  readonly softFailed: boolean;
  readonly stateBefore: number | null;
  readonly stateAfter: number | null;
  readonly replacesState: string | null;
  readonly senderDevice: string | null;
  readonly txnId: string | null;
}

interface EventRow {
  stream_ordering: number;
  event_id: string;
  room_id: string;
  depth: number;
  json: string;
  outlier: boolean;
  rejected_reason: string | null;
  soft_failed: boolean;
  state_before: number | null;
  state_after: number | null;
  replaces_state: string | null;
  sender_device: string | null;
  txn_id: string | null;
}

/** The unique index that keeps a device's transaction ID to one event (migration rooms/008). */
export const TXN_INDEX = 'events_txn_unique';

/** Rows per INSERT: a big join's 30,000 state events go in parts. */
const INSERT_CHUNK = 1000;

const INSERT_COLUMNS = [
  'stream_ordering',
  'event_id',
  'room_id',
  'depth',
  'type',
  'state_key',
  'sender',
  'origin_server_ts',
  'json',
  'outlier',
  'rejected_reason',
  'soft_failed',
  'state_before',
  'state_after',
  'replaces_state',
  'sender_device',
  'txn_id',
];

/** The INSERTs that write `rows`, as SQL for a WriteBatch. */
export function eventInsertSql(rows: readonly NewEventRow[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
    const values = rows.slice(i, i + INSERT_CHUNK).map((r) => [
      r.streamOrdering,
      r.eventId,
      r.roomId,
      r.pdu.depth,
      r.pdu.type,
      r.pdu.state_key ?? null,
      r.pdu.sender,
      r.pdu.origin_server_ts,
      r.json,
      r.outlier ?? false,
      r.rejectedReason ?? null,
      r.softFailed ?? false,
      r.stateBefore,
      r.stateAfter,
      r.replacesState,
      r.senderDevice,
      r.txnId,
    ]);
    out.push(insertSql('events', INSERT_COLUMNS, values));
  }
  return out;
}

const COLUMNS = ['stream_ordering', 'event_id', 'room_id', 'depth', 'json', 'outlier', 'rejected_reason', 'soft_failed', 'state_before', 'state_after', 'replaces_state', 'sender_device', 'txn_id'];

function fromRow(r: EventRow): StoredEvent {
  return {
    eventId: r.event_id,
    roomId: r.room_id,
    streamOrdering: r.stream_ordering,
    depth: r.depth,
    pdu: JSON.parse(r.json) as PDU,
    outlier: r.outlier,
    rejectedReason: r.rejected_reason,
    softFailed: r.soft_failed,
    stateBefore: r.state_before,
    stateAfter: r.state_after,
    replacesState: r.replaces_state,
    senderDevice: r.sender_device,
    txnId: r.txn_id,
  };
}

/** The view of a stored event that auth rules and state resolution read. */
export function toRoomEvent(e: StoredEvent): RoomEvent & { rejected?: boolean } {
  return { ...roomEventOf(e.eventId, e.pdu), rejected: e.rejectedReason !== null };
}

export type NewEventRow = Omit<StoredEvent, 'depth' | 'outlier' | 'rejectedReason' | 'softFailed'> & {
  json: string;
  outlier?: boolean;
  rejectedReason?: string | null;
  softFailed?: boolean;
};

/** A page of a room's timeline events by stream position (see idsByStreamOrdering). */
interface PageQuery {
  room: string;
  fromExclusive: number;
  toInclusive: number;
  limit: number;
  direction: 'asc' | 'desc';
}

const pageKey = (q: PageQuery): string => `${q.room}\u0000${q.fromExclusive}\u0000${q.toInclusive}\u0000${q.limit}\u0000${q.direction}`;

/** Reads events by ID through a bounded cache of parsed events; writes happen in the persist step. */
export class EventStore {
  private readonly cache = new LruCache<string, StoredEvent>(20_000);
  /** Misses of concurrent readers (the rooms of one sync) in one query. */
  private readonly byId = new Coalescer<string, StoredEvent>((ids) => this.load([...ids.keys()]));
  /** Stream-ordered pages of concurrent readers (the rooms of one sync), one query per distinct range. */
  private readonly pages = new Coalescer<PageQuery, string[]>((queries) => this.loadPages(queries));

  constructor(private readonly db: Knex) {}

  async getMany(ids: Iterable<string>): Promise<Map<string, StoredEvent>> {
    const out = new Map<string, StoredEvent>();
    const missing: string[] = [];
    for (const id of ids) {
      const hit = this.cache.get(id);
      if (hit) out.set(id, hit);
      else if (!out.has(id)) missing.push(id);
    }
    if (missing.length === 0) return out;
    const loaded = await this.byId.join(missing.map((id) => [id, id]));
    for (const id of missing) {
      const e = loaded.get(id);
      if (e) out.set(id, e);
    }
    return out;
  }

  private async load(ids: readonly string[]): Promise<Map<string, StoredEvent>> {
    const rows = (await this.db('events').select(COLUMNS).where(anyText(this.db, 'event_id', ids))) as EventRow[];
    const out = new Map<string, StoredEvent>();
    for (const row of rows) {
      const e = fromRow(row);
      this.cache.set(e.eventId, e);
      out.set(e.eventId, e);
    }
    return out;
  }

  async get(id: string): Promise<StoredEvent | undefined> {
    return (await this.getMany([id])).get(id);
  }

  /**
   * The IDs of a room's timeline events by stream position, for sync: the events themselves
   * usually sit in the cache already (they were just written), and a reader may need only some.
   */
  async idsByStreamOrdering(room: string, fromExclusive: number, toInclusive: number, limit: number, direction: 'asc' | 'desc'): Promise<string[]> {
    const query = { room, fromExclusive, toInclusive, limit, direction };
    return (await this.pages.load(pageKey(query), query)) ?? [];
  }

  /** The event IDs of each page asked for; pages of many rooms over the same range go in one query. */
  private async loadPages(queries: ReadonlyMap<string, PageQuery>): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    const ranges = groupBy(queries.values(), (q) => `${q.fromExclusive}\u0000${q.toInclusive}\u0000${q.limit}\u0000${q.direction}`);
    for (const same of ranges.values()) {
      const { fromExclusive, toInclusive, limit, direction } = same[0]!;
      const order = direction === 'asc' ? 'ASC' : 'DESC';
      const { rows } = (await this.db.raw(
        `SELECT p.room_id, p.event_id, p.stream_ordering
         FROM jsonb_array_elements_text(?::jsonb) AS r(room_id)
         CROSS JOIN LATERAL (
           SELECT room_id, event_id, stream_ordering FROM events
           WHERE room_id = r.room_id AND stream_ordering > ? AND stream_ordering <= ?
             AND NOT outlier AND rejected_reason IS NULL AND NOT soft_failed
           ORDER BY stream_ordering ${order} LIMIT ?
         ) p`,
        [JSON.stringify(same.map((q) => q.room)), fromExclusive, toInclusive, limit],
      )) as { rows: Array<{ room_id: string; event_id: string; stream_ordering: number }> };
      const byRoom = groupBy(rows, (r) => r.room_id);
      for (const q of same) {
        const page = (byRoom.get(q.room) ?? []).sort((a, b) => (direction === 'asc' ? 1 : -1) * (Number(a.stream_ordering) - Number(b.stream_ordering)));
        out.set(pageKey(q), page.map((r) => r.event_id));
      }
    }
    return out;
  }

  /**
   * Timeline events in topological order, starting after the position (depth, stream) in the given
   * direction: what /messages pages through.
   */
  async page(room: string, from: { depth: number; stream: number }, direction: 'b' | 'f', limit: number, to?: { depth: number; stream: number }): Promise<StoredEvent[]> {
    const q = this.db('events').select(COLUMNS).where('room_id', room).andWhere('outlier', false).whereNull('rejected_reason').andWhere('soft_failed', false);
    if (direction === 'b') {
      q.andWhereRaw('(depth, stream_ordering) < (?, ?)', [from.depth, from.stream]);
      if (to) q.andWhereRaw('(depth, stream_ordering) >= (?, ?)', [to.depth, to.stream]);
      q.orderBy([{ column: 'depth', order: 'desc' }, { column: 'stream_ordering', order: 'desc' }]);
    } else {
      q.andWhereRaw('(depth, stream_ordering) > (?, ?)', [from.depth, from.stream]);
      if (to) q.andWhereRaw('(depth, stream_ordering) <= (?, ?)', [to.depth, to.stream]);
      q.orderBy([{ column: 'depth', order: 'asc' }, { column: 'stream_ordering', order: 'asc' }]);
    }
    const rows = (await q.limit(limit)) as EventRow[];
    return rows.map((r) => this.remember(fromRow(r)));
  }

  async insert(trx: Knex.Transaction, rows: NewEventRow[]): Promise<void> {
    await new WriteBatch().add(...eventInsertSql(rows)).runIn(trx);
  }

  /** The event if the cache holds it; no database read. */
  peek(id: string): StoredEvent | undefined {
    return this.cache.get(id);
  }

  /** Drops an event that a rolled-back transaction had written. */
  forget(id: string): void {
    this.cache.delete(id);
  }

  /** Called once the transaction committed, so readers see what the database has. */
  remember(e: StoredEvent): StoredEvent {
    this.cache.set(e.eventId, e);
    return e;
  }

  async maxStreamOrdering(): Promise<number> {
    const row = (await this.db('events').max({ m: 'stream_ordering' }).first()) as { m: number | null } | undefined;
    return row?.m ?? 0;
  }
}
