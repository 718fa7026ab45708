import type { Knex } from 'knex';
import type { JsonObject } from '../../core/json.js';
import type { Requester } from '../../http/auth.js';
import { errors } from '../../http/errors.js';
import type { RoomReader } from './reader.js';
import type { CurrentState } from './state/current-state.js';
import type { EventStore, StoredEvent } from './storage/events.js';
import type { Positioned, RelationsStore } from './storage/relations.js';
import { formatTopological, parsePaginationToken, type TopologicalToken } from './tokens.js';
import { HistoryVisibility } from './visibility.js';

/** Levels of relationships followed with `recurse=true` (the spec asks for at least 3). */
export const RECURSION_DEPTH = 3;
/** Pages of hidden events skipped before a response ends early with a `next_batch`. */
const MAX_SCAN_PAGES = 10;

export interface RelationsRequest {
  relType?: string | undefined;
  eventType?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  dir: 'b' | 'f';
  limit: number;
  /** Undefined when the client did not send `recurse`. */
  recurse?: boolean | undefined;
}

export interface ThreadsRequest {
  include: 'all' | 'participated';
  from?: string | undefined;
  limit: number;
}

/**
 * Reads of the event graph's relations: the children of an event (the relations endpoints) and
 * a room's threads. History visibility applies to the parent, to every child and to every root.
 */
export class RelationPages {
  constructor(
    private readonly db: Knex,
    private readonly store: RelationsStore,
    private readonly events: EventStore,
    private readonly current: CurrentState,
    private readonly reader: RoomReader,
  ) {}

  private async position(roomId: string, token: string): Promise<TopologicalToken> {
    const parsed = parseToken(token);
    return parsed.kind === 'topological' ? parsed.token : this.store.topologicalAt(roomId, parsed.position);
  }

  /** GET /rooms/{roomId}/relations/{eventId}[/{relType}[/{eventType}]] */
  async relations(requester: Requester, roomId: string, parentId: string, req: RelationsRequest): Promise<JsonObject> {
    const info = await this.current.info(roomId);
    const parent = await this.events.get(parentId);
    if (!info || !parent || parent.roomId !== roomId || parent.outlier || parent.rejectedReason !== null || parent.softFailed) {
      throw errors.notFound('Event not found.');
    }
    const vis = await HistoryVisibility.load(this.db, roomId, requester.userId);
    if (!vis.canSee(parent)) throw errors.notFound('Event not found.');
    const to = req.to !== undefined ? await this.position(roomId, req.to) : undefined;
    let from = req.from !== undefined ? await this.position(roomId, req.from) : undefined;

    const chunk: StoredEvent[] = [];
    let more = false;
    scan: for (let page = 0; ; page++) {
      if (page === MAX_SCAN_PAGES) {
        more = true;
        break;
      }
      const rows = await this.store.children({
        roomId,
        parentId,
        relType: req.relType,
        eventType: req.eventType,
        maxHops: req.recurse ? RECURSION_DEPTH : 1,
        dir: req.dir,
        from,
        to,
        limit: req.limit + 1,
      });
      const loaded = await this.events.getMany(rows.map((r) => r.event_id));
      for (const row of rows) {
        if (chunk.length === req.limit) {
          more = true;
          break scan;
        }
        from = at(row);
        const e = loaded.get(row.event_id);
        if (e && vis.canSee(e)) chunk.push(e);
      }
      if (rows.length <= req.limit) break;
    }
    const out: JsonObject = { chunk: await this.reader.format(chunk, info.version, requester) };
    if (more && from) out.next_batch = formatTopological(from);
    if (req.from !== undefined) out.prev_batch = req.from;
    if (req.recurse !== undefined) out.recursion_depth = req.recurse ? RECURSION_DEPTH : 1;
    return out;
  }

  /** GET /rooms/{roomId}/threads */
  async threads(requester: Requester, roomId: string, req: ThreadsRequest): Promise<JsonObject> {
    const info = await this.current.info(roomId);
    if (!info) throw errors.forbidden('You are not allowed to view this room.');
    const vis = await HistoryVisibility.load(this.db, roomId, requester.userId);
    if ((await this.current.membership(roomId, requester.userId)) === undefined && !vis.canPeek()) {
      throw errors.forbidden('You are not allowed to view this room.');
    }
    let before: TopologicalToken | undefined;
    if (req.from !== undefined) {
      // Thread tokens are positions of a thread's latest reply; stream tokens mean nothing here.
      const parsed = parseToken(req.from);
      if (parsed.kind !== 'topological') throw errors.invalidParam('Unknown pagination token');
      before = parsed.token;
    }
    const roots: StoredEvent[] = [];
    let more = false;
    scan: for (let page = 0; ; page++) {
      if (page === MAX_SCAN_PAGES) {
        more = true;
        break;
      }
      const rows = await this.store.threads({
        roomId,
        participant: req.include === 'participated' ? requester.userId : undefined,
        before,
        limit: req.limit + 1,
      });
      const loaded = await this.events.getMany(rows.map((r) => r.root_id));
      for (const row of rows) {
        if (roots.length === req.limit) {
          more = true;
          break scan;
        }
        before = { depth: row.depth, stream: row.stream_ordering };
        const root = loaded.get(row.root_id);
        if (root && !root.softFailed && vis.canSee(root)) roots.push(root);
      }
      if (rows.length <= req.limit) break;
    }
    const out: JsonObject = { chunk: await this.reader.format(roots, info.version, requester) };
    if (more && before) out.next_batch = formatTopological(before);
    return out;
  }
}

const at = (r: Positioned): TopologicalToken => ({ depth: r.depth, stream: r.stream_ordering });

/** A pagination token whose numbers fit the database's bigint columns. */
function parseToken(token: string): ReturnType<typeof parsePaginationToken> {
  const parsed = parsePaginationToken(token);
  const numbers = parsed.kind === 'topological' ? [parsed.token.depth, parsed.token.stream] : [parsed.position];
  if (!numbers.every((n) => Number.isSafeInteger(n))) throw errors.invalidParam('Invalid pagination token');
  return parsed;
}
