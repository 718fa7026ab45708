import { isRedacted, type RoomData } from './sync/accumulator';
import { clearTimeline, currentContent, isShown, latestEdits, type DecryptedView } from './timeline-view';
import type { MatrixEvent } from './types';

export interface SearchHit {
  roomId: string;
  /** The message as it reads now (its latest edit applied). */
  event: MatrixEvent;
}

/**
 * Message search over what this device holds, as people read the messages: decrypted, edits
 * applied, edits themselves not matched twice, thread replies included. Newest first, at most
 * `limit`. Pure. Encrypted rooms are searched only this way (the server cannot read them); see
 * server-search.ts for the rest.
 */
export function searchMessages(rooms: readonly RoomData[], term: string, decrypted: Readonly<Record<string, DecryptedView>> = {}, limit = 200): SearchHit[] {
  const needle = term.trim().toLowerCase();
  if (!needle) return [];
  const out: SearchHit[] = [];
  for (const room of rooms) {
    const timeline = clearTimeline(room, decrypted);
    const edits = latestEdits(timeline);
    for (const e of timeline) {
      if (e.type !== 'm.room.message' || e.state_key !== undefined || !isShown(e) || isRedacted(e)) continue;
      const { content } = currentContent(e, edits);
      if (typeof content.body === 'string' && content.body.toLowerCase().includes(needle)) out.push({ roomId: room.roomId, event: { ...e, content: { ...content, 'm.relates_to': e.content['m.relates_to'] } } });
    }
  }
  return out.sort((a, b) => b.event.origin_server_ts - a.event.origin_server_ts).slice(0, limit);
}
