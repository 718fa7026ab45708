import { parseUserId } from '../../core/ids.js';
import type { JsonObject } from '../../core/json.js';
import type { Logger } from '../../log/logger.js';
import { KeyedQueue } from '../../util/keyed-queue.js';
import type { FederationApi } from '../federation/api.js';
import type { RoomsApi } from '../rooms/api.js';
import { registerSyncEduHandlers } from './federation-inbound.js';
import type { Notifier } from './notifier.js';
import type { Presence } from './presence.js';
import { REMOTE_PRESENCE_TIMEOUT_MS } from './presence.js';
import type { Receipt, Receipts } from './receipts.js';
import type { Typing } from './typing.js';

/** What sync needs of federation: EDUs out through the durable queue, EDUs in by type. */
export type SyncFederation = Pick<FederationApi, 'serverName' | 'enqueueEdu' | 'registerEduHandler'>;

export interface SyncEduDeps {
  federation: SyncFederation;
  rooms: Pick<RoomsApi, 'joinedServers' | 'serversSharingRoomsWith' | 'isJoined' | 'currentStreamPosition' | 'sync'>;
  typing: Typing;
  receipts: Receipts;
  presence: Presence;
  notifier: Notifier;
  log: Logger;
}

export interface SyncFederationEdus {
  /** A user's presence changed (Presence's onChange): a local user's goes to the servers sharing a room. */
  presenceChanged(userId: string): void;
  stop(): void;
}

/**
 * While a local user keeps typing, the notice is repeated this often: receiving servers end a
 * remote user's typing after a while of silence (Synapse after 60 s).
 */
const TYPING_REPEAT_MS = 20_000;
/** Presence of users who stay online is repeated this often, within other servers' timeout. */
const PRESENCE_REPEAT_MS = REMOTE_PRESENCE_TIMEOUT_MS - 5 * 60_000;

/**
 * Typing, receipts and presence over federation (server-server "Typing Notifications",
 * "Receipts", "Presence"): our users' go out as EDUs, other servers' users' come in to the same
 * stores and notifier that local ones use, so clients see both in /sync.
 */
export function connectSyncFederation(d: SyncEduDeps): SyncFederationEdus {
  const { federation, rooms, log } = d;
  const isLocal = (userId: string): boolean => parseUserId(userId)?.serverName === federation.serverName;
  // One change at a time per key: what a destination holds last is the latest state.
  const ordered = new KeyedQueue();
  const send = (key: string, what: string, task: () => Promise<void>): void => {
    void ordered.run(key, task).catch((err: unknown) => log.warn({ err, what }, 'queueing an EDU for other servers failed'));
  };
  const others = (servers: readonly string[]): string[] => servers.filter((s) => s !== federation.serverName);

  const typingSentAt = new Map<string, number>();
  const stopTyping = d.typing.listen((roomId, userId, typing) => {
    if (!isLocal(userId)) return;
    const key = `m.typing|${roomId}|${userId}`;
    const sentAt = typingSentAt.get(key);
    if (typing) {
      if (sentAt !== undefined && Date.now() - sentAt < TYPING_REPEAT_MS) return;
      typingSentAt.set(key, Date.now());
    } else {
      if (sentAt === undefined) return;
      typingSentAt.delete(key);
    }
    send(key, 'm.typing', async () => {
      const destinations = others(await rooms.joinedServers(roomId));
      await federation.enqueueEdu({ edu_type: 'm.typing', content: { room_id: roomId, user_id: userId, typing } }, destinations, { coalesceKey: key });
    });
  });

  const stopReceipts = d.receipts.onMoved((r: Receipt) => {
    // Private receipts never leave the server; m.fully_read is account data, not a receipt.
    if (r.type !== 'm.read' || !isLocal(r.userId)) return;
    const key = `m.receipt|${r.roomId}|${r.userId}|${r.threadId}`;
    send(key, 'm.receipt', async () => {
      const data: JsonObject = { ts: r.ts };
      if (r.threadId !== '') data.thread_id = r.threadId;
      const content: JsonObject = { [r.roomId]: { 'm.read': { [r.userId]: { event_ids: [r.eventId], data } } } };
      await federation.enqueueEdu({ edu_type: 'm.receipt', content }, others(await rooms.joinedServers(r.roomId)), { coalesceKey: key });
    });
  });

  const sendPresence = (userId: string): void => {
    if (!d.presence.enabled || !isLocal(userId)) return;
    const key = `m.presence|${userId}`;
    send(key, 'm.presence', async () => {
      const current = d.presence.get(userId);
      if (!current) return;
      const destinations = others(await rooms.serversSharingRoomsWith(userId));
      await federation.enqueueEdu({ edu_type: 'm.presence', content: { push: [{ ...current, user_id: userId }] } }, destinations, { coalesceKey: key });
    });
  };
  // Our side sends on change only; users who stay online are repeated before others time them out.
  const repeat = d.presence.enabled
    ? setInterval(() => {
        for (const userId of d.presence.notOffline()) sendPresence(userId);
      }, PRESENCE_REPEAT_MS)
    : undefined;
  repeat?.unref();

  const unregister = registerSyncEduHandlers(d);

  return {
    presenceChanged: sendPresence,
    stop() {
      for (const u of [...unregister, stopTyping, stopReceipts]) u();
      clearInterval(repeat);
      typingSentAt.clear();
    },
  };
}
