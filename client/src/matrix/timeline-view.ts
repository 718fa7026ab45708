import { isRedacted, type RoomData } from './sync/accumulator';
import type { JsonObject, MatrixEvent } from './types';

/**
 * Turns a room's raw timeline into what the timeline shows: edits applied, reactions counted,
 * relations hidden, day separators and sender groups marked, receipts placed. Pure.
 */

export interface Reaction {
  key: string;
  count: number;
  senders: string[];
  /** Our own reaction's event ID, to take it back. */
  ownEventId: string | undefined;
}

/** What decryption made of an encrypted event (kept beside the state, never stored). */
export type DecryptedView =
  | { ok: true; type: string; content: JsonObject; shield: { color: 'none' | 'grey' | 'red'; message: string | undefined } }
  | { ok: false; reason: string };

export interface EventItem {
  kind: 'event';
  /** The event as shown: an encrypted one carries its decrypted type and content. */
  event: MatrixEvent;
  /** Sent encrypted (decrypted or not). */
  encrypted: boolean;
  /** Why an encrypted event is not readable (yet), if it is not. */
  undecryptable: string | undefined;
  /** Authenticity warning for a decrypted event (unverified or unknown device). */
  shield: { color: 'none' | 'grey' | 'red'; message: string | undefined } | undefined;
  /** The content to show: the latest edit's m.new_content, or the original. */
  content: JsonObject;
  edited: boolean;
  redacted: boolean;
  reactions: Reaction[];
  replyTo: string | undefined;
  /** The first of consecutive messages from one sender within a few minutes. */
  groupStart: boolean;
  /** Users whose read receipt sits here (not the sender, not us). */
  readBy: string[];
  /** A local echo not yet confirmed by the server. */
  pending: boolean;
  failed: boolean;
  /** Ours, and still worth editing (a text message). */
  editable: boolean;
}

export interface DayItem {
  kind: 'day';
  key: string;
  ts: number;
}

export type TimelineItem = EventItem | DayItem;

export interface PendingEvent {
  txnId: string;
  type: string;
  content: JsonObject;
  ts: number;
  failed: boolean;
}

const GROUP_WINDOW_MS = 5 * 60_000;

/** State events worth a line in the timeline; the rest (power levels, join rules…) only in settings. */
const SHOWN_STATE = new Set(['m.room.member', 'm.room.name', 'm.room.topic', 'm.room.create', 'm.room.encryption', 'm.room.avatar']);

function relatesTo(e: MatrixEvent): JsonObject | undefined {
  const r = e.content['m.relates_to'];
  return r && typeof r === 'object' ? (r as JsonObject) : undefined;
}

export function replyTarget(content: JsonObject): string | undefined {
  const r = content['m.relates_to'];
  if (!r || typeof r !== 'object') return undefined;
  const reply = (r as JsonObject)['m.in_reply_to'];
  return reply && typeof reply === 'object' && typeof (reply as JsonObject).event_id === 'string' ? ((reply as JsonObject).event_id as string) : undefined;
}

function dayKey(ts: number): string {
  const d = new Date(ts);
  return `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`;
}

export function isShown(e: MatrixEvent): boolean {
  if (e.type === 'm.reaction' || e.type === 'm.room.redaction') return false;
  // Relations stay in the clear on encrypted events: hidden even before they decrypt.
  const rel = relatesTo(e)?.rel_type;
  if (rel === 'm.replace' || rel === 'm.annotation') return false;
  if (e.state_key !== undefined) return SHOWN_STATE.has(e.type);
  return e.type === 'm.room.message' || e.type === 'm.room.encrypted' || e.type === 'm.sticker';
}

/** The room's timeline with encrypted events replaced by what they decrypted to. */
export function clearTimeline(room: RoomData, decrypted: Readonly<Record<string, DecryptedView>> = {}): MatrixEvent[] {
  return room.timeline.map((e) => {
    const d = e.type === 'm.room.encrypted' ? decrypted[e.event_id] : undefined;
    return d?.ok ? { ...e, type: d.type, content: d.content } : e;
  });
}

export function buildTimeline(room: RoomData, ownUserId: string, pending: readonly PendingEvent[] = [], decrypted: Readonly<Record<string, DecryptedView>> = {}): TimelineItem[] {
  const edits = new Map<string, MatrixEvent>();
  const reactions = new Map<string, Map<string, Reaction>>();
  const timeline = clearTimeline(room, decrypted);
  for (const e of timeline) {
    const rel = relatesTo(e);
    if (!rel || typeof rel.event_id !== 'string' || isRedacted(e)) continue;
    if (rel.rel_type === 'm.replace' && e.type === 'm.room.message') {
      const target = timeline.find((t) => t.event_id === rel.event_id);
      // Only the original sender may edit; anything else is ignored, as the spec says.
      if (target && target.sender !== e.sender) continue;
      const prev = edits.get(rel.event_id);
      if (!prev || prev.origin_server_ts <= e.origin_server_ts) edits.set(rel.event_id, e);
    } else if (rel.rel_type === 'm.annotation' && e.type === 'm.reaction' && typeof rel.key === 'string') {
      const byKey = reactions.get(rel.event_id) ?? new Map<string, Reaction>();
      const r = byKey.get(rel.key) ?? { key: rel.key, count: 0, senders: [], ownEventId: undefined };
      if (!r.senders.includes(e.sender)) {
        r.count++;
        r.senders.push(e.sender);
        if (e.sender === ownUserId) r.ownEventId = e.event_id;
      }
      byKey.set(rel.key, r);
      reactions.set(rel.event_id, byKey);
    }
  }

  // Receipts: each user's receipt shows on the latest shown event at or before it that someone
  // else sent ("seen up to here"); their own messages say nothing about what they have read.
  const shown = timeline.filter(isShown);
  const position = new Map(timeline.map((e, i) => [e.event_id, i]));
  const readBy = new Map<string, string[]>();
  for (const [userId, receipt] of Object.entries(room.receipts)) {
    if (userId === ownUserId) continue;
    const at = position.get(receipt.eventId);
    if (at === undefined) continue;
    let target: MatrixEvent | undefined;
    for (let i = at; i >= 0 && !target; i--) {
      const e = timeline[i]!;
      if (isShown(e) && e.sender !== userId && e.state_key === undefined) target = e;
    }
    if (!target) continue;
    readBy.set(target.event_id, [...(readBy.get(target.event_id) ?? []), userId]);
  }

  const items: TimelineItem[] = [];
  let prev: MatrixEvent | undefined;
  const push = (event: MatrixEvent, extra: Partial<EventItem>): void => {
    if (!prev || dayKey(prev.origin_server_ts) !== dayKey(event.origin_server_ts)) {
      items.push({ kind: 'day', key: dayKey(event.origin_server_ts), ts: event.origin_server_ts });
    }
    const isMsg = event.state_key === undefined;
    const groupStart =
      !prev || !isMsg || prev.state_key !== undefined || prev.sender !== event.sender || event.origin_server_ts - prev.origin_server_ts > GROUP_WINDOW_MS || dayKey(prev.origin_server_ts) !== dayKey(event.origin_server_ts);
    const edit = edits.get(event.event_id);
    const newContent = edit?.content['m.new_content'];
    const redacted = isRedacted(event);
    const content = !redacted && newContent && typeof newContent === 'object' ? (newContent as JsonObject) : event.content;
    const d = decrypted[event.event_id];
    items.push({
      kind: 'event',
      event,
      encrypted: d !== undefined || event.type === 'm.room.encrypted',
      undecryptable: event.type === 'm.room.encrypted' ? (d && !d.ok ? d.reason : 'Waiting for the key to decrypt this message') : undefined,
      shield: d?.ok && d.shield.color !== 'none' ? d.shield : undefined,
      content,
      edited: edit !== undefined && !redacted,
      redacted,
      reactions: redacted ? [] : [...(reactions.get(event.event_id)?.values() ?? [])],
      replyTo: redacted ? undefined : replyTarget(event.content),
      groupStart,
      readBy: readBy.get(event.event_id) ?? [],
      pending: false,
      failed: false,
      editable: !redacted && event.sender === ownUserId && event.type === 'm.room.message' && (content.msgtype === 'm.text' || content.msgtype === 'm.emote'),
      ...extra,
    });
    prev = event;
  };
  for (const e of shown) push(e, {});
  for (const p of pending) {
    if (p.type !== 'm.room.message') continue;
    push({ type: p.type, content: p.content, sender: ownUserId, event_id: `~${p.txnId}`, origin_server_ts: p.ts }, { pending: true, failed: p.failed, editable: false });
  }
  return items;
}

/**
 * The event a read receipt should name when everything is read: the newest of all, hidden ones
 * included (an edit or reaction after the last message still counts as unread on the server).
 */
export function latestReadable(room: RoomData): MatrixEvent | undefined {
  return room.timeline.at(-1);
}

/** The first event after our read receipt (for "jump to first unread"), if any message is unread. */
export function firstUnread(room: RoomData, ownUserId: string): MatrixEvent | undefined {
  const receipt = room.receipts[ownUserId];
  const fullyRead = room.accountData['m.fully_read']?.event_id;
  const marker = typeof fullyRead === 'string' ? fullyRead : receipt?.eventId;
  if (!marker) return undefined;
  const at = room.timeline.findIndex((e) => e.event_id === marker);
  if (at < 0) return undefined;
  return room.timeline.slice(at + 1).find((e) => isShown(e) && e.sender !== ownUserId && e.state_key === undefined);
}

/** Whether a message mentions us: m.mentions, or our ID / display name in its body. */
export function mentions(content: JsonObject, ownUserId: string, ownName: string | undefined): boolean {
  const m = content['m.mentions'];
  if (m && typeof m === 'object' && Array.isArray((m as JsonObject).user_ids) && ((m as JsonObject).user_ids as unknown[]).includes(ownUserId)) return true;
  const body = typeof content.body === 'string' ? content.body.toLowerCase() : '';
  return body.includes(ownUserId.toLowerCase()) || (!!ownName && ownName.length > 1 && body.includes(ownName.toLowerCase()));
}
