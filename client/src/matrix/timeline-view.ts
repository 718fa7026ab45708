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
  /** On a thread's root in the main timeline: how many replies, and the latest. */
  thread: ThreadSummary | undefined;
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

export interface ThreadSummary {
  count: number;
  latest: MatrixEvent | undefined;
  participated: boolean;
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

export function relatesTo(content: JsonObject): JsonObject | undefined {
  const r = content['m.relates_to'];
  return r && typeof r === 'object' && !Array.isArray(r) ? (r as JsonObject) : undefined;
}

/** The event a message replies to; not the thread fallback (a thread reply "replying" to the previous one). */
export function replyTarget(content: JsonObject): string | undefined {
  const r = relatesTo(content);
  if (!r || (r.rel_type === 'm.thread' && r.is_falling_back === true)) return undefined;
  const reply = r['m.in_reply_to'];
  return reply && typeof reply === 'object' && typeof (reply as JsonObject).event_id === 'string' ? ((reply as JsonObject).event_id as string) : undefined;
}

/** The root of the thread this message belongs to, if it is a thread reply. */
export function threadRootOf(content: JsonObject): string | undefined {
  const r = relatesTo(content);
  return r?.rel_type === 'm.thread' && typeof r.event_id === 'string' ? r.event_id : undefined;
}

function dayKey(ts: number): string {
  const d = new Date(ts);
  return `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`;
}

/** Part of an in-room verification: the request message, or one of the m.key.verification.* steps. */
export function isVerificationEvent(e: MatrixEvent): boolean {
  return e.type.startsWith('m.key.verification.') || (e.type === 'm.room.message' && e.content.msgtype === 'm.key.verification.request');
}

export function isShown(e: MatrixEvent): boolean {
  if (e.type === 'm.reaction' || e.type === 'm.room.redaction') return false;
  // Relations stay in the clear on encrypted events: hidden even before they decrypt.
  const rel = relatesTo(e.content)?.rel_type;
  if (rel === 'm.replace' || rel === 'm.annotation') return false;
  if (e.state_key !== undefined) return SHOWN_STATE.has(e.type);
  return e.type === 'm.room.message' || e.type === 'm.room.encrypted' || e.type === 'm.sticker';
}

/** The room's timeline with encrypted events replaced by what they decrypted to. */
export function clearTimeline(room: RoomData, decrypted: Readonly<Record<string, DecryptedView>> = {}): MatrixEvent[] {
  return room.timeline.map((e) => clearEvent(e, decrypted));
}

export function clearEvent(e: MatrixEvent, decrypted: Readonly<Record<string, DecryptedView>>): MatrixEvent {
  const d = e.type === 'm.room.encrypted' ? decrypted[e.event_id] : undefined;
  return d?.ok ? { ...e, type: d.type, content: d.content } : e;
}

/**
 * The latest valid edit of each edited event: same sender as the original (the spec ignores the
 * rest), not itself deleted. Keyed by the original's event ID.
 */
export function latestEdits(timeline: readonly MatrixEvent[]): Map<string, MatrixEvent> {
  const byId = new Map(timeline.map((e) => [e.event_id, e]));
  const edits = new Map<string, MatrixEvent>();
  for (const e of timeline) {
    const rel = relatesTo(e.content);
    if (rel?.rel_type !== 'm.replace' || typeof rel.event_id !== 'string' || e.type !== 'm.room.message' || isRedacted(e)) continue;
    const target = byId.get(rel.event_id);
    if (target && target.sender !== e.sender) continue;
    const prev = edits.get(rel.event_id);
    if (!prev || prev.origin_server_ts <= e.origin_server_ts) edits.set(rel.event_id, e);
  }
  return edits;
}

function bundled(event: MatrixEvent, relType: string): JsonObject | undefined {
  const rels = event.unsigned?.['m.relations'];
  const r = rels && typeof rels === 'object' ? (rels as JsonObject)[relType] : undefined;
  return r && typeof r === 'object' ? (r as JsonObject) : undefined;
}

/**
 * What an event says now: the latest edit's m.new_content (from the timeline, else the server's
 * bundled edit), or its own content. A deleted event says nothing more.
 */
export function currentContent(event: MatrixEvent, edits: ReadonlyMap<string, MatrixEvent>): { content: JsonObject; edited: boolean } {
  if (isRedacted(event)) return { content: event.content, edited: false };
  const edit = edits.get(event.event_id) ?? (bundled(event, 'm.replace') as MatrixEvent | undefined);
  const next = edit && edit.type === 'm.room.message' && edit.sender === event.sender ? edit.content?.['m.new_content'] : undefined;
  return next && typeof next === 'object' ? { content: next as JsonObject, edited: true } : { content: event.content, edited: false };
}

export interface TimelineOptions {
  /** Show one thread (its root, then its replies) instead of the main timeline. */
  thread?: string | undefined;
  /** Events known besides the room's timeline (a thread fetched from the server), merged in by time. */
  extra?: readonly MatrixEvent[] | undefined;
}

function merged(room: RoomData, decrypted: Readonly<Record<string, DecryptedView>>, extra: readonly MatrixEvent[] | undefined): MatrixEvent[] {
  const timeline = clearTimeline(room, decrypted);
  if (!extra?.length) return timeline;
  const known = new Set(timeline.map((e) => e.event_id));
  const more = extra.filter((e) => !known.has(e.event_id)).map((e) => clearEvent(e, decrypted));
  return [...more, ...timeline].sort((a, b) => a.origin_server_ts - b.origin_server_ts);
}

export function buildTimeline(
  room: RoomData,
  ownUserId: string,
  pending: readonly PendingEvent[] = [],
  decrypted: Readonly<Record<string, DecryptedView>> = {},
  options: TimelineOptions = {},
): TimelineItem[] {
  const reactions = new Map<string, Map<string, Reaction>>();
  const timeline = merged(room, decrypted, options.extra);
  const edits = latestEdits(timeline);
  const threads = new Map<string, ThreadSummary>();
  for (const e of timeline) {
    const rel = relatesTo(e.content);
    if (!rel || typeof rel.event_id !== 'string') continue;
    if (rel.rel_type === 'm.thread' && isShown(e)) {
      const t = threads.get(rel.event_id) ?? { count: 0, latest: undefined, participated: false };
      t.count++;
      t.latest = e;
      t.participated ||= e.sender === ownUserId;
      threads.set(rel.event_id, t);
    } else if (rel.rel_type === 'm.annotation' && e.type === 'm.reaction' && typeof rel.key === 'string' && !isRedacted(e)) {
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

  const root = options.thread;
  // The main timeline leaves thread replies to their thread; a thread shows its root and replies.
  const inView = (e: MatrixEvent): boolean => (root === undefined ? threadRootOf(e.content) === undefined : e.event_id === root || threadRootOf(e.content) === root);
  const shown = timeline.filter((e) => isShown(e) && inView(e));

  // Receipts: each user's receipt shows on the latest shown event at or before it that someone
  // else sent ("seen up to here"); their own messages say nothing about what they have read.
  const readBy = new Map<string, string[]>();
  if (root === undefined) {
    const position = new Map(timeline.map((e, i) => [e.event_id, i]));
    for (const [userId, receipt] of Object.entries(room.receipts)) {
      if (userId === ownUserId) continue;
      const at = position.get(receipt.eventId);
      if (at === undefined) continue;
      let target: MatrixEvent | undefined;
      for (let i = at; i >= 0 && !target; i--) {
        const e = timeline[i]!;
        if (isShown(e) && inView(e) && e.sender !== userId && e.state_key === undefined) target = e;
      }
      if (!target) continue;
      readBy.set(target.event_id, [...(readBy.get(target.event_id) ?? []), userId]);
    }
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
    const redacted = isRedacted(event);
    const { content, edited } = currentContent(event, edits);
    const d = decrypted[event.event_id];
    const local = threads.get(event.event_id);
    const remote = bundled(event, 'm.thread');
    const thread: ThreadSummary | undefined =
      root === undefined && (local || remote)
        ? {
            count: Math.max(local?.count ?? 0, typeof remote?.count === 'number' ? remote.count : 0),
            latest: local?.latest ?? (remote?.latest_event as MatrixEvent | undefined),
            participated: (local?.participated ?? false) || remote?.current_user_participated === true,
          }
        : undefined;
    items.push({
      kind: 'event',
      event,
      encrypted: d !== undefined || event.type === 'm.room.encrypted',
      undecryptable: event.type === 'm.room.encrypted' ? (d && !d.ok ? d.reason : 'Waiting for the key to decrypt this message') : undefined,
      shield: d?.ok && d.shield.color !== 'none' ? d.shield : undefined,
      content,
      edited,
      redacted,
      reactions: redacted ? [] : [...(reactions.get(event.event_id)?.values() ?? [])],
      replyTo: redacted ? undefined : replyTarget(event.content),
      thread: thread && thread.count > 0 ? thread : undefined,
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
    if (p.type !== 'm.room.message' || threadRootOf(p.content) !== root) continue;
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
  return room.timeline.slice(at + 1).find((e) => isShown(e) && e.sender !== ownUserId && e.state_key === undefined && threadRootOf(e.content) === undefined);
}

/** Whether a message mentions us: m.mentions, or our ID / display name in its body. */
export function mentions(content: JsonObject, ownUserId: string, ownName: string | undefined): boolean {
  const m = content['m.mentions'];
  if (m && typeof m === 'object' && Array.isArray((m as JsonObject).user_ids) && ((m as JsonObject).user_ids as unknown[]).includes(ownUserId)) return true;
  const body = typeof content.body === 'string' ? content.body.toLowerCase() : '';
  return body.includes(ownUserId.toLowerCase()) || (!!ownName && ownName.length > 1 && body.includes(ownName.toLowerCase()));
}
