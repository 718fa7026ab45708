import type { SearchHit } from './search';
import type { JsonObject, MatrixEvent } from './types';

/**
 * Server-side search (POST /_matrix/client/v3/search, the `room_events` category): the shapes of
 * the request and the answer, and how its results join the search over what this device holds.
 * The server cannot read encrypted events, so for encrypted rooms the local search still counts.
 */

export type SearchKey = 'content.body' | 'content.name' | 'content.topic';

export interface RoomEventFilter {
  limit?: number;
  types?: string[];
  not_types?: string[];
  senders?: string[];
  not_senders?: string[];
  rooms?: string[];
  not_rooms?: string[];
  contains_url?: boolean;
}

export interface RoomEventsCriteria {
  search_term: string;
  keys?: SearchKey[];
  filter?: RoomEventFilter;
  order_by?: 'rank' | 'recent';
  event_context?: { before_limit?: number; after_limit?: number; include_profile?: boolean };
  include_state?: boolean;
  groupings?: { group_by: Array<{ key: 'room_id' | 'sender' }> };
}

export interface SearchResultContext {
  start?: string;
  end?: string;
  /** Newest first. */
  events_before?: MatrixEvent[];
  events_after?: MatrixEvent[];
  profile_info?: Record<string, { displayname?: string; avatar_url?: string }>;
}

export interface SearchResult {
  rank: number;
  result: MatrixEvent;
  context?: SearchResultContext;
}

export interface RoomEventsResults {
  count: number;
  highlights: string[];
  results: SearchResult[];
  /** Absent when there are no more results. */
  next_batch?: string;
  state?: Record<string, MatrixEvent[]>;
  groups?: Record<string, Record<string, { results: string[]; order: number; next_batch?: string }>>;
}

export interface SearchResponse {
  search_categories: { room_events?: RoomEventsResults };
}

/** Results per page the message search asks for. */
export const SEARCH_PAGE = 20;

/** What the message search asks the server: message bodies, newest first, in the given rooms (all when none). */
export function messageSearchCriteria(term: string, roomIds?: readonly string[], limit = SEARCH_PAGE): RoomEventsCriteria {
  return {
    search_term: term.trim(),
    keys: ['content.body'],
    order_by: 'recent',
    filter: { limit, types: ['m.room.message'], ...(roomIds ? { rooms: [...roomIds] } : {}) },
  };
}

function relation(content: JsonObject): { rel_type?: unknown; event_id?: unknown } | undefined {
  const r = content['m.relates_to'];
  return r && typeof r === 'object' && !Array.isArray(r) ? (r as { rel_type?: unknown; event_id?: unknown }) : undefined;
}

/**
 * A page of server results as search hits, read as people read them: an edit that matched stands
 * for the message it edits (with the new text; the original's time, sender and thread when the
 * original is on the page too), so a message is one hit however many of its versions matched.
 * Events without a text body are left out. Keeps the server's order.
 */
export function hitsFromServer(results: readonly SearchResult[]): SearchHit[] {
  const events = results.map((r) => r.result).filter((e) => e.type === 'm.room.message' && e.state_key === undefined && typeof e.content.body === 'string');
  const byId = new Map(events.map((e) => [e.event_id, e]));
  const out = new Map<string, SearchHit>();
  for (const e of events) {
    const rel = relation(e.content);
    const replaced = rel?.rel_type === 'm.replace' && typeof rel.event_id === 'string' ? rel.event_id : undefined;
    const newContent = e.content['m.new_content'];
    if (replaced && newContent && typeof newContent === 'object' && !Array.isArray(newContent) && typeof (newContent as JsonObject).body === 'string') {
      const original = byId.get(replaced);
      const base = original ?? { ...e, event_id: replaced };
      const roomId = base.room_id ?? e.room_id ?? '';
      out.set(replaced, { roomId, event: { ...base, content: { ...(newContent as JsonObject), 'm.relates_to': original?.content['m.relates_to'] } } });
      continue;
    }
    // The message itself: an edit of it seen earlier on the page already stands for it.
    if (!out.has(e.event_id)) out.set(e.event_id, { roomId: e.room_id ?? '', event: e });
  }
  return [...out.values()].filter((h) => h.roomId !== '');
}

/**
 * The hits of the local search and of the server, as one list: one hit per event (the local one
 * when both have it: it is decrypted and has the latest edit applied), newest first.
 */
export function mergeHits(local: readonly SearchHit[], server: readonly SearchHit[]): SearchHit[] {
  const out = new Map<string, SearchHit>();
  for (const h of server) out.set(h.event.event_id, h);
  for (const h of local) out.set(h.event.event_id, h);
  return [...out.values()].sort((a, b) => b.event.origin_server_ts - a.event.origin_server_ts || (a.event.event_id < b.event.event_id ? -1 : a.event.event_id > b.event.event_id ? 1 : 0));
}
