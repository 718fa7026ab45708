import { createEffect, createMemo, createSignal, on, onCleanup, type Accessor } from 'solid-js';
import { describeError } from '../../matrix/errors';
import { isEncrypted } from '../../matrix/room-info';
import type { SearchHit } from '../../matrix/search';
import { mergeHits } from '../../matrix/server-search';
import type { HearthClient } from '../../state/client';

/** How long typing must pause before the server is asked. */
const DEBOUNCE_MS = 250;

interface ServerPages {
  term: string;
  hits: SearchHit[];
  next: string | undefined;
  highlights: string[];
}

export interface MessageSearch {
  /** What the server found and what this device found in encrypted rooms, one hit per message, newest first. */
  results: Accessor<SearchHit[]>;
  /** The words the server matched, for marking beside the term itself. */
  highlights: Accessor<string[]>;
  /** A page of server results is on its way. */
  searching: Accessor<boolean>;
  /** The server has more results ("load more"). */
  hasMore: Accessor<boolean>;
  more: () => Promise<void>;
  /** Whether this device's own search covers every room (the server could not search), or only encrypted ones. */
  localOnly: Accessor<boolean>;
  /** Why the server could not search, when it could not. */
  error: Accessor<string | undefined>;
}

/**
 * Message search in one room (`roomId`) or all: the server's search for unencrypted messages,
 * paged, merged with the search over what this device holds for encrypted rooms (the server
 * cannot read those). Should the server fail, this device's search covers every room instead.
 */
export function createMessageSearch(client: HearthClient, term: Accessor<string>, roomId?: string): MessageSearch {
  const needle = createMemo(() => term().trim());
  /** A search in one encrypted room is this device's alone. */
  const serverSearches = (): boolean => {
    const room = roomId ? client.sync.rooms[roomId] : undefined;
    return !room || !isEncrypted(room);
  };
  const [pages, setPages] = createSignal<ServerPages>({ term: '', hits: [], next: undefined, highlights: [] });
  const [searching, setSearching] = createSignal(false);
  const [error, setError] = createSignal<string>();
  let abort: AbortController | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const fetchPage = async (t: string, next?: string): Promise<void> => {
    abort?.abort();
    const ctl = new AbortController();
    abort = ctl;
    setSearching(true);
    try {
      const page = await client.search.server(t, roomId, next, ctl.signal);
      if (ctl.signal.aborted || needle() !== t) return;
      setPages((p) => ({
        term: t,
        hits: next && p.term === t ? [...p.hits, ...page.hits] : page.hits,
        next: page.nextBatch,
        highlights: [...new Set([...(next && p.term === t ? p.highlights : []), ...page.highlights])],
      }));
      setError(undefined);
    } catch (err) {
      if (ctl.signal.aborted) return;
      setError(describeError(err));
    } finally {
      if (abort === ctl) {
        abort = undefined;
        setSearching(false);
      }
    }
  };

  createEffect(
    on([needle, serverSearches], ([t, server]) => {
      clearTimeout(timer);
      abort?.abort();
      abort = undefined;
      setSearching(false);
      setPages({ term: t, hits: [], next: undefined, highlights: [] });
      if (!t || !server) return;
      setSearching(true);
      timer = setTimeout(() => void fetchPage(t), DEBOUNCE_MS);
    }),
  );
  onCleanup(() => {
    clearTimeout(timer);
    abort?.abort();
  });

  const localOnly = (): boolean => !serverSearches() || error() !== undefined;
  const results = createMemo(() => {
    // The local search reads plain state: these make it run again when timelines grow.
    if (roomId) void client.sync.rooms[roomId]?.timeline.length;
    else void Object.values(client.sync.rooms).map((r) => r.timeline.length);
    const t = needle();
    const local = client.search.local(t, roomId, !localOnly());
    const p = pages();
    return mergeHits(local, p.term === t && !localOnly() ? p.hits : []);
  });

  return {
    results,
    highlights: () => pages().highlights,
    searching,
    hasMore: () => !localOnly() && pages().next !== undefined && pages().term === needle(),
    more: async () => {
      const p = pages();
      if (p.next && !searching()) await fetchPage(p.term, p.next);
    },
    localOnly,
    error,
  };
}
