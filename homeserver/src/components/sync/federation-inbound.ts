import { z } from 'zod';
import { parseUserId } from '../../core/ids.js';
import { isJsonObject } from '../../core/json.js';
import type { SyncEduDeps } from './federation-edus.js';

/** How long a remote user shows as typing when their server says nothing more (as Synapse does). */
export const REMOTE_TYPING_MS = 60_000;
/** Presence updates taken from one EDU; a server sends far fewer for the users we share rooms with. */
const MAX_PRESENCE_PUSH = 1000;

const typingSchema = z.object({ room_id: z.string().min(1).max(255), user_id: z.string().max(255), typing: z.boolean() });

const readReceiptSchema = z.object({
  event_ids: z.array(z.string().min(1).max(255)).min(1),
  data: z.object({ ts: z.number().int().nonnegative().optional(), thread_id: z.string().min(1).max(255).optional() }).passthrough(),
});

const presenceSchema = z.object({
  user_id: z.string().max(255),
  presence: z.enum(['online', 'unavailable', 'offline']),
  status_msg: z.string().max(2048).nullable().optional(),
  last_active_ago: z.number().int().nonnegative().optional(),
});

/**
 * Inbound m.typing, m.receipt and m.presence. A server speaks only for its own users; typing and
 * receipts count only from users joined to a room we are in too (server ACLs were applied before
 * this, by the transaction receiver). Anything else, or anything malformed, is dropped.
 */
export function registerSyncEduHandlers(d: SyncEduDeps): Array<() => void> {
  const { federation, rooms, log } = d;
  const fromOrigin = (userId: string, origin: string): boolean => parseUserId(userId)?.serverName === origin;
  const weAreIn = async (roomId: string): Promise<boolean> => (await rooms.joinedServers(roomId)).includes(federation.serverName);

  const registered: Array<() => void> = [];
  registered.push(federation.registerEduHandler('m.typing', async (origin, content) => {
    const parsed = typingSchema.safeParse(content);
    if (!parsed.success || !fromOrigin(parsed.data.user_id, origin)) {
      log.debug({ origin }, 'm.typing dropped: malformed, or the user is not a user of the origin');
      return;
    }
    const { room_id: roomId, user_id: userId, typing } = parsed.data;
    if (!(await weAreIn(roomId)) || !(await rooms.isJoined(roomId, userId))) return;
    d.typing.set(roomId, userId, typing, REMOTE_TYPING_MS);
  }));

  registered.push(federation.registerEduHandler('m.receipt', async (origin, content) => {
    for (const [roomId, byType] of Object.entries(content)) {
      const reads = isJsonObject(byType) ? byType['m.read'] : undefined;
      if (!isJsonObject(reads) || !(await weAreIn(roomId))) continue;
      const wanted: Array<{ userId: string; eventId: string; ts: number; threadId: string }> = [];
      for (const [userId, raw] of Object.entries(reads)) {
        const parsed = readReceiptSchema.safeParse(raw);
        if (!parsed.success || !fromOrigin(userId, origin) || !(await rooms.isJoined(roomId, userId))) continue;
        const { event_ids: eventIds, data } = parsed.data;
        wanted.push({ userId, eventId: eventIds[0]!, ts: data.ts ?? Date.now(), threadId: data.thread_id ?? '' });
      }
      if (wanted.length === 0) continue;
      const events = await rooms.sync.getEvents([...new Set(wanted.map((w) => w.eventId))]);
      let moved = false;
      for (const w of wanted) {
        const event = events.get(w.eventId);
        if (event && event.roomId !== roomId) continue;
        // An event not here yet (it may come in the same transaction) is placed at the end of
        // the stream: receipts only move forward, and this one is the newest the user sent.
        const eventStream = event ? event.streamOrdering : rooms.currentStreamPosition();
        if (await d.receipts.put({ roomId, type: 'm.read', userId: w.userId, threadId: w.threadId, eventId: w.eventId, eventStream, ts: w.ts })) moved = true;
      }
      if (moved) d.notifier.pokeRoom(roomId);
    }
  }));

  registered.push(federation.registerEduHandler('m.presence', async (origin, content) => {
    if (!d.presence.enabled || !Array.isArray(content['push'])) return;
    for (const raw of (content['push'] as unknown[]).slice(0, MAX_PRESENCE_PUSH)) {
      const parsed = presenceSchema.safeParse(raw);
      if (!parsed.success || !fromOrigin(parsed.data.user_id, origin)) continue;
      const p = parsed.data;
      // Presence is kept in memory: only for users someone here can see.
      const sharing = await rooms.serversSharingRoomsWith(p.user_id);
      if (!sharing.includes(federation.serverName)) continue;
      await d.presence.setRemote(p.user_id, p.presence, p.status_msg ?? null, p.last_active_ago ?? 0);
    }
  }));
  return registered;
}
