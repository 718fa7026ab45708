import type { MatrixApi } from '../matrix/api';
import { isEncrypted } from '../matrix/room-info';
import { searchMessages, type SearchHit } from '../matrix/search';
import { hitsFromServer, messageSearchCriteria } from '../matrix/server-search';
import type { RoomData } from '../matrix/sync/accumulator';
import type { DecryptedView } from '../matrix/timeline-view';
import type { MatrixEvent } from '../matrix/types';

/** Message search: on this device (encrypted rooms, which the server cannot read) and on the server. */
export class MessageSearch {
  /** Messages found by the server, by event ID: a result opened may not be in any timeline here. */
  private readonly found = new Map<string, MatrixEvent>();

  constructor(
    private readonly api: MatrixApi,
    private readonly rooms: () => Record<string, RoomData>,
    private readonly decrypted: Record<string, DecryptedView>,
  ) {}

  /** Over what this device holds (see searchMessages); with `encryptedOnly`, only in encrypted rooms. */
  local(term: string, roomId?: string, encryptedOnly = false): SearchHit[] {
    const all = this.rooms();
    const rooms = (roomId ? [all[roomId]].filter((r) => r !== undefined) : Object.values(all)).filter((r) => !encryptedOnly || isEncrypted(r));
    return searchMessages(rooms, term, this.decrypted);
  }

  /**
   * One page of the server's search (unencrypted messages only), in one room or in all;
   * `nextBatch` continues an earlier search of the same term.
   */
  async server(term: string, roomId?: string, nextBatch?: string, signal?: AbortSignal): Promise<{ hits: SearchHit[]; nextBatch: string | undefined; count: number; highlights: string[] }> {
    const res = await this.api.search(messageSearchCriteria(term, roomId ? [roomId] : undefined), nextBatch, signal);
    const page = res.search_categories.room_events;
    const hits = hitsFromServer(page?.results ?? []);
    if (this.found.size > 2000) this.found.clear();
    for (const h of hits) this.found.set(h.event.event_id, h.event);
    return { hits, nextBatch: page?.next_batch, count: page?.count ?? 0, highlights: page?.highlights ?? [] };
  }

  /** A message this device knows of though maybe not in its timeline (a server search result). */
  event(eventId: string): MatrixEvent | undefined {
    return this.found.get(eventId);
  }
}
