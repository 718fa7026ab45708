import { memberName } from './room-info';
import type { RoomData } from './sync/accumulator';
import { clearTimeline, currentContent, isShown, latestEdits, type DecryptedView } from './timeline-view';
import { stripReplyFallback } from './format';
import type { JsonObject, MatrixEvent } from './types';

/**
 * The room list's one line about a room's latest message: what the message says now (its latest
 * edit's new content, never the `* fallback` of the edit itself), with edits, reactions and other
 * relations skipped, and deleted messages said to be deleted. Pure.
 */

export interface MessagePreview {
  event: MatrixEvent;
  /** "You" for our own, else the sender's name in the room. */
  who: string;
  text: string;
}

/** A short description of a message's content, one line. */
export function describeContent(content: JsonObject): string {
  const body = typeof content.body === 'string' ? stripReplyFallback(content.body) : '';
  const firstLine = body.split('\n').find((l) => l.trim() !== '') ?? '';
  switch (content.msgtype) {
    case 'm.image':
      return 'Sent an image';
    case 'm.video':
      return 'Sent a video';
    case 'm.audio':
      return content['org.matrix.msc3245.voice'] !== undefined ? 'Voice message' : 'Sent an audio file';
    case 'm.file':
      return `Sent a file: ${firstLine}`;
    case 'm.key.verification.request':
      return 'Asked to verify';
    default:
      return firstLine;
  }
}

export function lastMessagePreview(room: RoomData, ownUserId: string, decrypted: Readonly<Record<string, DecryptedView>> = {}): MessagePreview | undefined {
  const timeline = clearTimeline(room, decrypted);
  let edits: Map<string, MatrixEvent> | undefined;
  for (let i = timeline.length - 1; i >= 0; i--) {
    const e = timeline[i]!;
    if (e.state_key !== undefined || !isShown(e)) continue;
    const who = e.sender === ownUserId ? 'You' : memberName(room, e.sender);
    if (e.unsigned?.redacted_because) return { event: e, who, text: 'Message deleted' };
    if (e.type === 'm.room.encrypted') return { event: e, who, text: 'Encrypted message' };
    // Edits are looked for only once a message is found, and only then over the whole timeline.
    edits ??= latestEdits(timeline);
    const { content } = currentContent(e, edits);
    const text = content.msgtype === 'm.emote' ? `* ${memberName(room, e.sender)} ${describeContent(content)}` : describeContent(content);
    return { event: e, who, text };
  }
  return undefined;
}
