import type { Knex } from 'knex';
import type { StoredEvent } from './storage/events.js';
import { LruCache } from '../../util/lru.js';
import { pairKey } from '../../util/pair-key.js';
import { Coalescer } from '../../util/coalesce.js';
import { groupBy } from '../../util/group-by.js';
import { anyText } from '../../db/json-list.js';

const caches = new WeakMap<Knex, LruCache<string, HistoryVisibility>>();
const generations = new WeakMap<Knex, Map<string, number>>();

function cacheFor(db: Knex): LruCache<string, HistoryVisibility> {
  let c = caches.get(db);
  if (!c) caches.set(db, (c = new LruCache(50_000)));
  return c;
}

const loaders = new WeakMap<Knex, Coalescer<{ roomId: string; userId: string }, HistoryVisibility>>();

/** Visibility that concurrent readers (the rooms of one sync) miss, read together. */
function loaderFor(db: Knex): Coalescer<{ roomId: string; userId: string }, HistoryVisibility> {
  let l = loaders.get(db);
  if (!l) loaders.set(db, (l = new Coalescer((wanted) => HistoryVisibility.loadMany(db, wanted))));
  return l;
}

function generationOf(db: Knex, roomId: string): number {
  return generations.get(db)?.get(roomId) ?? 0;
}

/** Called for every persisted event: drops cached visibility that the event changes. */
export function invalidateVisibility(db: Knex, events: readonly StoredEvent[]): void {
  for (const e of events) {
    const { type, state_key: key } = e.pdu;
    if (type === 'm.room.member' && key !== undefined) {
      bump(db, e.roomId);
      cacheFor(db).delete(pairKey(e.roomId, key));
    } else if (type === 'm.room.history_visibility' && key === '') {
      bump(db, e.roomId);
      // Every member's view of the room changes: clear what we hold for it.
      cacheFor(db).clear();
    }
  }
}

function bump(db: Knex, roomId: string): void {
  let g = generations.get(db);
  if (!g) generations.set(db, (g = new Map()));
  g.set(roomId, (g.get(roomId) ?? 0) + 1);
}

interface Point {
  depth: number;
  stream: number;
}

interface Change<T> extends Point {
  value: T;
}

const before = (a: Point, b: Point): boolean => a.depth < b.depth || (a.depth === b.depth && a.stream < b.stream);

function at<T>(changes: Change<T>[], p: Point, fallback: T): T {
  let value = fallback;
  for (const c of changes) {
    if (before(c, p)) value = c.value;
    else break;
  }
  return value;
}

/**
 * History visibility ("Room History Visibility", server behaviour) for one user in one room. The
 * room's history_visibility changes and the user's membership changes are few, so both are read
 * once per request and every event is judged against them in memory, in topological order.
 */
export class HistoryVisibility {
  private constructor(
    private readonly userId: string,
    private readonly visibility: Change<string>[],
    private readonly membership: Change<string>[],
  ) {}

  /**
   * The user's visibility in the room, cached per database until a membership change of that
   * user or a history_visibility change in that room is persisted (see invalidateVisibility).
   */
  static async load(db: Knex, roomId: string, userId: string): Promise<HistoryVisibility> {
    const key = pairKey(roomId, userId);
    const hit = cacheFor(db).get(key);
    if (hit) return hit;
    return (await loaderFor(db).load(key, { roomId, userId }))!;
  }

  /** Every (room, user) asked for, in one query per user, each cached unless its room changed meanwhile. */
  static async loadMany(db: Knex, wanted: ReadonlyMap<string, { roomId: string; userId: string }>): Promise<Map<string, HistoryVisibility>> {
    const out = new Map<string, HistoryVisibility>();
    for (const [userId, asks] of groupBy(wanted.values(), (w) => w.userId)) {
      const rooms = asks.map((a) => a.roomId);
      const generations = new Map(rooms.map((r) => [r, generationOf(db, r)]));
      const rows = (await db('events')
        .select('room_id', 'type', 'depth', 'stream_ordering', 'json')
        .where(anyText(db, 'room_id', rooms))
        .andWhere('outlier', false)
        .whereNull('rejected_reason')
        .andWhere('soft_failed', false)
        .andWhere((q) => q.where({ type: 'm.room.history_visibility', state_key: '' }).orWhere({ type: 'm.room.member', state_key: userId }))
        .orderBy([{ column: 'depth' }, { column: 'stream_ordering' }])) as Array<{ room_id: string; type: string; depth: number; stream_ordering: number; json: string }>;
      const byRoom = groupBy(rows, (r) => r.room_id);
      for (const roomId of rooms) {
        const loaded = HistoryVisibility.fromRows(userId, byRoom.get(roomId) ?? []);
        const key = pairKey(roomId, userId);
        // A change persisted while we were reading must not be hidden behind a stale entry.
        if (generationOf(db, roomId) === generations.get(roomId)) cacheFor(db).set(key, loaded);
        out.set(key, loaded);
      }
    }
    return out;
  }

  private static fromRows(userId: string, rows: ReadonlyArray<{ type: string; depth: number; stream_ordering: number; json: string }>): HistoryVisibility {
    const vis: Change<string>[] = [];
    const mem: Change<string>[] = [];
    for (const r of rows) {
      const content = (JSON.parse(r.json) as { content: Record<string, unknown> }).content;
      const point = { depth: Number(r.depth), stream: Number(r.stream_ordering) };
      if (r.type === 'm.room.history_visibility') {
        const v = content.history_visibility;
        vis.push({ ...point, value: typeof v === 'string' && ['world_readable', 'shared', 'invited', 'joined'].includes(v) ? v : 'shared' });
      } else {
        mem.push({ ...point, value: typeof content.membership === 'string' ? content.membership : 'leave' });
      }
    }
    return new HistoryVisibility(userId, vis, mem);
  }

  canSee(e: StoredEvent): boolean {
    const p = { depth: e.depth, stream: e.streamOrdering };
    const visBefore = at(this.visibility, p, 'shared');
    const memBefore = at(this.membership, p, 'leave');
    if (this.allowed(p, visBefore, memBefore)) return true;
    // A visibility change, or the user's own membership change, is visible when either side of it is.
    if (e.pdu.type === 'm.room.history_visibility' && e.pdu.state_key === '') {
      const v = e.pdu.content.history_visibility;
      return this.allowed(p, typeof v === 'string' ? v : 'shared', memBefore);
    }
    if (e.pdu.type === 'm.room.member' && e.pdu.state_key === this.userId) {
      const m = e.pdu.content.membership;
      return this.allowed(p, visBefore, typeof m === 'string' ? m : 'leave');
    }
    return false;
  }

  private allowed(p: Point, visibility: string, membership: string): boolean {
    if (visibility === 'world_readable') return true;
    if (membership === 'join') return true;
    if (visibility === 'shared' && this.membership.some((m) => m.value === 'join' && !before(m, p))) return true;
    if (visibility === 'invited' && membership === 'invite') return true;
    return false;
  }

  everJoined(): boolean {
    return this.membership.some((m) => m.value === 'join');
  }

  /**
   * The stretches of history whose events the user may see, as (after, upTo] in topological order
   * (open where absent): what canSee answers for every event that changes neither the history
   * visibility nor this user's membership, in a form a query can apply. Between two neighbouring
   * changes canSee's answer cannot change, so each gap between them is judged once.
   */
  visibleRanges(): Array<{ after?: Point; upTo?: Point }> {
    const changes: Point[] = [...this.visibility, ...this.membership].sort((a, b) => (before(a, b) ? -1 : before(b, a) ? 1 : 0));
    const end: Point = { depth: Infinity, stream: Infinity };
    const ranges: Array<{ after?: Point; upTo?: Point }> = [];
    for (let i = 0; i <= changes.length; i++) {
      const lo = changes[i - 1];
      const hi = changes[i];
      const p = hi ?? end;
      if (!this.allowed(p, at(this.visibility, p, 'shared'), at(this.membership, p, 'leave'))) continue;
      const last = ranges[ranges.length - 1];
      const range = { ...(lo ? { after: { depth: lo.depth, stream: lo.stream } } : {}), ...(hi ? { upTo: { depth: hi.depth, stream: hi.stream } } : {}) };
      // Adjacent visible gaps join into one range.
      if (last && lo && last.upTo && last.upTo.depth === lo.depth && last.upTo.stream === lo.stream) {
        if (hi) last.upTo = range.upTo;
        else delete last.upTo;
      } else {
        ranges.push(range);
      }
    }
    return ranges;
  }

  /** Whether the user can see anything at all now: joined, or the room is world readable. */
  canPeek(): boolean {
    const last = this.visibility[this.visibility.length - 1]?.value ?? 'shared';
    const membership = this.membership[this.membership.length - 1]?.value;
    return membership === 'join' || last === 'world_readable';
  }
}
