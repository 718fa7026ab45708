import type { Knex } from 'knex';
import { z } from 'zod';
import { stateKey } from '../../core/events.js';
import type { JsonObject } from '../../core/json.js';
import type { RoomVersion } from '../../core/room-versions.js';
import type { Requester } from '../../http/auth.js';
import { errors, MatrixError } from '../../http/errors.js';
import type { RoomEventFilter } from './event-filter.js';
import type { RoomReader } from './reader.js';
import type { CurrentState } from './state/current-state.js';
import type { StateGroups } from './state/state-groups.js';
import type { EventStore, StoredEvent } from './storage/events.js';
import { searchableText, searchQueryOf, type SearchCriteria, type SearchHit, type SearchKey, type SearchPosition, type SearchStore, type VisibleWindow } from './storage/search.js';
import { formatTopological, type TopologicalToken } from './tokens.js';
import { HistoryVisibility } from './visibility.js';

export type GroupKey = 'room_id' | 'sender';

/** The `room_events` criteria of POST /search, checked. */
export interface RoomEventsSearch {
  searchTerm: string;
  keys: readonly SearchKey[];
  filter: RoomEventFilter;
  orderBy: 'rank' | 'recent';
  eventContext?: { beforeLimit: number; afterLimit: number; includeProfile: boolean } | undefined;
  includeState: boolean;
  groupBy: readonly GroupKey[];
}

const DEFAULT_LIMIT = 10;
const MAX_LIMIT = 100;
/** Hidden events skipped while gathering the context of one result before settling for fewer. */
const MAX_CONTEXT_PAGES = 5;

/**
 * `next_batch`: where the previous page ended, in which order, and the group it was limited to
 * when it came from a group's `next_batch`. Opaque to clients (base64url of JSON).
 */
const batchToken = z.object({
  o: z.enum(['rank', 'recent']),
  s: z.number().int(),
  r: z.number().finite().optional(),
  g: z.object({ k: z.enum(['room_id', 'sender']), v: z.string().refine((s) => !s.includes('\u0000')) }).optional(),
});
type BatchToken = z.infer<typeof batchToken>;

function encodeBatch(t: BatchToken): string {
  return Buffer.from(JSON.stringify(t)).toString('base64url');
}

function decodeBatch(s: string): BatchToken {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
  } catch {
    throw errors.invalidParam('Invalid next_batch token');
  }
  const parsed = batchToken.safeParse(value);
  if (!parsed.success) throw errors.invalidParam('Invalid next_batch token');
  return parsed.data;
}

/**
 * POST /search, category `room_events` ("Server Side Search"): full-text search over the events a
 * user may see in the rooms they are or were joined to, through the `event_search` index. History
 * visibility is applied in the query itself (as visible stretches of each room's history), so
 * counts, ranks and pages only ever cover visible events.
 */
export class MessageSearch {
  constructor(
    private readonly db: Knex,
    private readonly store: SearchStore,
    private readonly events: EventStore,
    private readonly groups: StateGroups,
    private readonly current: CurrentState,
    private readonly reader: RoomReader,
  ) {}

  async roomEvents(requester: Requester, req: RoomEventsSearch, nextBatch: string | undefined): Promise<JsonObject> {
    const token = nextBatch !== undefined ? decodeBatch(nextBatch) : undefined;
    if (token && (token.o !== req.orderBy || (token.o === 'rank') !== (token.r !== undefined))) throw errors.invalidParam('next_batch belongs to a search in another order');
    const query = searchQueryOf(req.searchTerm);
    const empty = (): JsonObject => ({
      count: 0,
      results: [],
      highlights: [],
      ...(req.groupBy.length > 0 ? { groups: Object.fromEntries(req.groupBy.map((k) => [k, {}])) } : {}),
      ...(req.includeState ? { state: {} } : {}),
    });
    if (!query || req.keys.length === 0) return empty();

    const { windows, visibility } = await this.visibleHistory(requester.userId, req.filter);
    const f = req.filter;
    const criteria: SearchCriteria = {
      query,
      keys: req.keys,
      windows,
      senders: f.senders,
      notSenders: f.not_senders,
      types: f.types,
      notTypes: f.not_types,
      containsUrl: f.contains_url,
      scope: token?.g ? { key: token.g.k, value: token.g.v } : undefined,
    };
    const limit = Math.min(Math.max(f.limit ?? DEFAULT_LIMIT, 1), MAX_LIMIT);
    const from: SearchPosition | undefined = token ? { rank: token.r, stream: token.s } : undefined;
    const [hits, count] = await Promise.all([this.store.hits(criteria, req.orderBy, from, limit + 1), this.store.count(criteria)]);
    const more = hits.length > limit;
    const page = hits.slice(0, limit);
    const loaded = await this.events.getMany(page.map((h) => h.eventId));
    // The query applied visibility already; this is the same rule applied to the events themselves.
    const shown: Array<{ hit: SearchHit; event: StoredEvent }> = [];
    for (const hit of page) {
      const event = loaded.get(hit.eventId);
      if (event && visibility.get(event.roomId)?.canSee(event)) shown.push({ hit, event });
    }

    const versions = await this.versions(shown.map((s) => s.event.roomId));
    const formatted = await this.formatMany(requester, shown.map((s) => s.event), versions);
    const results: JsonObject[] = [];
    for (const { hit, event } of shown) {
      const result: JsonObject = { rank: hit.rank, result: formatted.get(event.eventId)! };
      if (req.eventContext) result.context = await this.context(requester, event, visibility.get(event.roomId)!, versions.get(event.roomId)!, req.eventContext);
      results.push(result);
    }

    const texts = shown.map((s) => searchableText(s.event.pdu)?.text ?? '');
    const out: JsonObject = { count, results, highlights: await this.store.highlights(query, texts) };
    const last = page[page.length - 1];
    const position = (h: SearchHit): Pick<BatchToken, 's' | 'r'> => (req.orderBy === 'rank' ? { s: h.stream, r: h.rank } : { s: h.stream });
    if (more && last) out.next_batch = encodeBatch({ o: req.orderBy, ...position(last), ...(token?.g ? { g: token.g } : {}) });

    if (req.groupBy.length > 0) {
      const groups: JsonObject = {};
      for (const key of req.groupBy) {
        const byValue = new Map<string, string[]>();
        for (const { hit } of shown) {
          const value = key === 'room_id' ? hit.roomId : hit.sender;
          const ids = byValue.get(value) ?? [];
          ids.push(hit.eventId);
          byValue.set(value, ids);
        }
        // A group has more when hits of it lie beyond this page: nothing of it is skipped in between.
        const withMore = more && last ? await this.store.groupsWithMore(criteria, req.orderBy, { rank: last.rank, stream: last.stream }, key, [...byValue.keys()]) : new Set<string>();
        const entries: JsonObject = {};
        let order = 0;
        for (const [value, ids] of byValue) {
          const entry: JsonObject = { order: ++order, results: ids };
          if (withMore.has(value) && last) entry.next_batch = encodeBatch({ o: req.orderBy, ...position(last), g: { k: key, v: value } });
          entries[value] = entry;
        }
        groups[key] = entries;
      }
      out.groups = groups;
    }

    if (req.includeState) {
      const state: JsonObject = {};
      for (const roomId of new Set(shown.map((s) => s.event.roomId))) {
        try {
          state[roomId] = await this.reader.stateForUser(requester, roomId);
        } catch (err) {
          if (!(err instanceof MatrixError)) throw err;
        }
      }
      out.state = state;
    }
    return out;
  }

  /**
   * The rooms the user is or was joined to (not forgotten, narrowed by the filter), each with the
   * stretches of its history the user may see.
   */
  private async visibleHistory(userId: string, filter: RoomEventFilter): Promise<{ windows: VisibleWindow[]; visibility: Map<string, HistoryVisibility> }> {
    const rows = (await this.db('room_memberships')
      .select('room_id')
      .where({ user_id: userId, forgotten: false })
      .whereIn('membership', ['join', 'leave', 'ban'])
      .orderBy('room_id')) as Array<{ room_id: string }>;
    const windows: VisibleWindow[] = [];
    const visibility = new Map<string, HistoryVisibility>();
    for (const { room_id: roomId } of rows) {
      if (filter.rooms && !filter.rooms.includes(roomId)) continue;
      if (filter.not_rooms?.includes(roomId)) continue;
      const vis = await HistoryVisibility.load(this.db, roomId, userId);
      // A rejected invite is a `leave` too: only rooms the user has been in are searched.
      if (!vis.everJoined()) continue;
      visibility.set(roomId, vis);
      for (const range of vis.visibleRanges()) windows.push({ roomId, after: range.after, upTo: range.upTo });
    }
    return { windows, visibility };
  }

  private async versions(roomIds: Iterable<string>): Promise<Map<string, RoomVersion>> {
    const out = new Map<string, RoomVersion>();
    for (const roomId of new Set(roomIds)) {
      const info = await this.current.info(roomId);
      if (info) out.set(roomId, info.version);
    }
    return out;
  }

  /** Client events for events of several rooms, each room's formatted in one go. */
  private async formatMany(requester: Requester, events: readonly StoredEvent[], versions: Map<string, RoomVersion>): Promise<Map<string, JsonObject>> {
    const byRoom = new Map<string, StoredEvent[]>();
    for (const e of events) byRoom.set(e.roomId, [...(byRoom.get(e.roomId) ?? []), e]);
    const out = new Map<string, JsonObject>();
    for (const [roomId, list] of byRoom) {
      const rv = versions.get(roomId);
      if (!rv) continue;
      const formatted = await this.reader.format(list, rv, requester);
      list.forEach((e, i) => out.set(e.eventId, formatted[i]!));
    }
    return out;
  }

  /** The visible timeline around a result and, if asked, its senders' profiles at that point. */
  private async context(
    requester: Requester,
    target: StoredEvent,
    vis: HistoryVisibility,
    rv: RoomVersion,
    options: { beforeLimit: number; afterLimit: number; includeProfile: boolean },
  ): Promise<JsonObject> {
    const here = { depth: target.depth, stream: target.streamOrdering };
    const pick = async (dir: 'b' | 'f', n: number): Promise<{ events: StoredEvent[]; last: TopologicalToken }> => {
      const picked: StoredEvent[] = [];
      let pos = here;
      if (n === 0) return { events: picked, last: pos };
      for (let page = 0; page < MAX_CONTEXT_PAGES && picked.length < n; page++) {
        const batch = await this.events.page(target.roomId, pos, dir, n);
        for (const e of batch) {
          pos = { depth: e.depth, stream: e.streamOrdering };
          if (vis.canSee(e)) picked.push(e);
          if (picked.length >= n) break;
        }
        if (batch.length < n) break;
      }
      return { events: picked, last: pos };
    };
    const before = await pick('b', options.beforeLimit);
    const after = await pick('f', options.afterLimit);
    const context: JsonObject = {
      events_before: await this.reader.format(before.events, rv, requester),
      events_after: await this.reader.format(after.events, rv, requester),
      start: formatTopological(before.last),
      end: formatTopological(after.last),
    };
    if (options.includeProfile) {
      const profiles: JsonObject = {};
      const group = target.stateAfter ?? target.stateBefore;
      const state = group !== null ? await this.groups.get(group) : undefined;
      const senders = [...new Set([target, ...before.events, ...after.events].map((e) => e.pdu.sender))];
      const memberIds = senders.map((s) => state?.get(stateKey('m.room.member', s))).filter((id): id is string => id !== undefined);
      const members = await this.events.getMany(memberIds);
      for (const sender of senders) {
        const id = state?.get(stateKey('m.room.member', sender));
        const content = id ? members.get(id)?.pdu.content : undefined;
        const profile: JsonObject = {};
        if (typeof content?.displayname === 'string') profile.displayname = content.displayname;
        if (typeof content?.avatar_url === 'string') profile.avatar_url = content.avatar_url;
        profiles[sender] = profile;
      }
      context.profile_info = profiles;
    }
    return context;
  }
}
