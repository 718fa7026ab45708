import type { Knex } from 'knex';
import type { TopologicalToken } from '../tokens.js';

export interface ChildrenQuery {
  roomId: string;
  parentId: string;
  relType?: string | undefined;
  eventType?: string | undefined;
  /** 1 for direct children only; more follows children of children, each hop filtered alike. */
  maxHops: number;
  dir: 'b' | 'f';
  /** Exclusive start. */
  from?: TopologicalToken | undefined;
  /** Inclusive end. */
  to?: TopologicalToken | undefined;
  limit: number;
}

export interface ThreadsQuery {
  roomId: string;
  /** Only threads this user started or replied in. */
  participant?: string | undefined;
  /** Exclusive: threads whose latest reply is older than this. */
  before?: TopologicalToken | undefined;
  limit: number;
}

export interface Positioned {
  event_id: string;
  depth: number;
  stream_ordering: number;
}

/**
 * A relation counts while its child is accepted, in the timeline and not redacted (a redaction
 * strips `m.relates_to`), as in `liveRelations`.
 */
const LIVE = `e.rejected_reason IS NULL AND NOT e.soft_failed AND NOT e.outlier
  AND NOT EXISTS (SELECT 1 FROM redactions x WHERE x.redacts = r.event_id)`;

/** Queries over `event_relations` for the relations and threads endpoints. */
export class RelationsStore {
  constructor(private readonly db: Knex) {}

  /** A page of child events (IDs with their positions), in the order of `dir`. */
  async children(q: ChildrenQuery): Promise<Positioned[]> {
    const filters: string[] = [];
    const filterArgs: unknown[] = [];
    if (q.relType !== undefined) {
      filters.push('r.rel_type = ?');
      filterArgs.push(q.relType);
    }
    if (q.eventType !== undefined) {
      filters.push('r.type = ?');
      filterArgs.push(q.eventType);
    }
    const filter = filters.map((f) => ` AND ${f}`).join('');
    const bounds: string[] = [];
    const boundArgs: unknown[] = [];
    const after = q.dir === 'b' ? '<' : '>';
    const until = q.dir === 'b' ? '>=' : '<=';
    if (q.from) {
      bounds.push(`(e.depth, e.stream_ordering) ${after} (?, ?)`);
      boundArgs.push(q.from.depth, q.from.stream);
    }
    if (q.to) {
      bounds.push(`(e.depth, e.stream_ordering) ${until} (?, ?)`);
      boundArgs.push(q.to.depth, q.to.stream);
    }
    const order = q.dir === 'b' ? 'DESC' : 'ASC';
    const sql = `
      WITH RECURSIVE rel(event_id, hops) AS (
        SELECT r.event_id, 1 FROM event_relations r JOIN events e ON e.event_id = r.event_id
        WHERE r.relates_to = ? AND r.room_id = ? AND ${LIVE}${filter}
        UNION
        SELECT r.event_id, rel.hops + 1 FROM rel
        JOIN event_relations r ON r.relates_to = rel.event_id
        JOIN events e ON e.event_id = r.event_id
        WHERE rel.hops < ? AND r.room_id = ? AND ${LIVE}${filter}
      )
      SELECT e.event_id, e.depth, e.stream_ordering
      FROM (SELECT DISTINCT event_id FROM rel) c JOIN events e ON e.event_id = c.event_id
      ${bounds.length > 0 ? `WHERE ${bounds.join(' AND ')}` : ''}
      ORDER BY e.depth ${order}, e.stream_ordering ${order}
      LIMIT ?`;
    const args = [q.parentId, q.roomId, ...filterArgs, q.maxHops, q.roomId, ...filterArgs, ...boundArgs, q.limit];
    const res = (await this.db.raw(sql, args as Knex.RawBinding[])) as { rows: Positioned[] };
    return res.rows.map((r) => ({ event_id: r.event_id, depth: Number(r.depth), stream_ordering: Number(r.stream_ordering) }));
  }

  /**
   * Thread roots of a room, most recent activity first: the position of each thread's latest live
   * reply is the thread's position (what `next_batch` continues from).
   */
  async threads(q: ThreadsQuery): Promise<Array<{ root_id: string; depth: number; stream_ordering: number }>> {
    const where: string[] = [];
    const args: unknown[] = [q.roomId];
    if (q.before) {
      where.push('(t.depth, t.stream_ordering) < (?, ?)');
      args.push(q.before.depth, q.before.stream);
    }
    if (q.participant !== undefined) {
      where.push(`(t.root_sender = ? OR EXISTS (
        SELECT 1 FROM event_relations r JOIN events e ON e.event_id = r.event_id
        WHERE r.relates_to = t.root_id AND r.rel_type = 'm.thread' AND r.sender = ? AND ${LIVE}))`);
      args.push(q.participant, q.participant);
    }
    args.push(q.limit);
    const sql = `
      SELECT t.root_id, t.depth, t.stream_ordering FROM (
        SELECT DISTINCT ON (r.relates_to) r.relates_to AS root_id, e.depth, e.stream_ordering, root.sender AS root_sender
        FROM event_relations r
        JOIN events e ON e.event_id = r.event_id
        JOIN events root ON root.event_id = r.relates_to AND root.room_id = r.room_id
        WHERE r.room_id = ? AND r.rel_type = 'm.thread' AND ${LIVE}
          AND root.rejected_reason IS NULL AND NOT root.outlier
        ORDER BY r.relates_to, e.depth DESC, e.stream_ordering DESC
      ) t
      ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY t.depth DESC, t.stream_ordering DESC
      LIMIT ?`;
    const res = (await this.db.raw(sql, args as Knex.RawBinding[])) as { rows: Array<{ root_id: string; depth: number; stream_ordering: number }> };
    return res.rows.map((r) => ({ root_id: r.root_id, depth: Number(r.depth), stream_ordering: Number(r.stream_ordering) }));
  }

  /** The topological position just after the newest timeline event at or before a stream position. */
  async topologicalAt(roomId: string, streamPosition: number): Promise<TopologicalToken> {
    const row = (await this.db('events')
      .select('depth', 'stream_ordering')
      .where('room_id', roomId)
      .andWhere('outlier', false)
      .whereNull('rejected_reason')
      .andWhere('soft_failed', false)
      .andWhere('stream_ordering', '<=', streamPosition)
      .orderBy([{ column: 'depth', order: 'desc' }, { column: 'stream_ordering', order: 'desc' }])
      .first()) as { depth: number; stream_ordering: number } | undefined;
    return row ? { depth: Number(row.depth), stream: Number(row.stream_ordering) + 1 } : { depth: 0, stream: 0 };
  }
}
