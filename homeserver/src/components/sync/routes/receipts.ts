import type Router from '@koa/router';
import { z } from 'zod';
import { getRequester, requireAuth, type Authenticate, type Requester } from '../../../http/auth.js';
import { jsonBody } from '../../../http/body.js';
import { errors } from '../../../http/errors.js';
import type { RoomsApi } from '../../rooms/api.js';
import type { UsersApi } from '../../users/api.js';
import type { Receipts } from '../receipts.js';

const RECEIPT_TYPES = new Set(['m.read', 'm.read.private', 'm.fully_read']);
const receiptBody = z.object({ thread_id: z.string().min(1).optional() });
const markersBody = z.object({
  'm.fully_read': z.string().optional(),
  'm.read': z.string().optional(),
  'm.read.private': z.string().optional(),
});

export interface ReceiptDeps {
  receipts: Receipts;
  rooms: RoomsApi;
  users: Pick<UsersApi, 'putAccountData'>;
  /** A receipt moved in a room: wake its syncing members. */
  onReceipt(roomId: string): void;
}

/**
 * POST /_matrix/client/v3/rooms/{roomId}/receipt/{receiptType}/{eventId}
 * POST /_matrix/client/v3/rooms/{roomId}/read_markers
 */
export function receiptRoutes(router: Router, deps: ReceiptDeps, authenticate: Authenticate): void {
  const auth = requireAuth(authenticate);

  async function eventPosition(requester: Requester, roomId: string, eventId: string): Promise<number> {
    if (!(await deps.rooms.joinedRooms(requester.userId)).includes(roomId)) throw errors.forbidden('You are not in this room');
    const [e] = [(await deps.rooms.sync.getEvents([eventId])).get(eventId)];
    if (!e || e.roomId !== roomId) throw errors.notFound('Unknown event');
    return e.streamOrdering;
  }

  async function put(requester: Requester, roomId: string, type: string, eventId: string, threadId: string): Promise<void> {
    const position = await eventPosition(requester, roomId, eventId);
    if (type === 'm.fully_read') {
      await deps.users.putAccountData(requester.userId, roomId, 'm.fully_read', { event_id: eventId });
      return;
    }
    const moved = await deps.receipts.put({ roomId, type, userId: requester.userId, threadId, eventId, eventStream: position, ts: Date.now() });
    if (moved) deps.onReceipt(roomId);
  }

  router.post('/_matrix/client/v3/rooms/:roomId/receipt/:receiptType/:eventId', auth, async (ctx) => {
    const requester = getRequester(ctx);
    const type = ctx.params.receiptType!;
    if (!RECEIPT_TYPES.has(type)) throw errors.invalidParam(`Unknown receipt type ${type}`);
    const body = await jsonBody(ctx, receiptBody, { allowEmpty: true });
    if (type === 'm.fully_read' && body.thread_id !== undefined) throw errors.invalidParam('m.fully_read cannot be threaded');
    await put(requester, ctx.params.roomId!, type, ctx.params.eventId!, body.thread_id ?? '');
    ctx.body = {};
  });

  router.post('/_matrix/client/v3/rooms/:roomId/read_markers', auth, async (ctx) => {
    const requester = getRequester(ctx);
    const body = await jsonBody(ctx, markersBody);
    const roomId = ctx.params.roomId!;
    for (const type of ['m.fully_read', 'm.read', 'm.read.private'] as const) {
      const eventId = body[type];
      if (eventId !== undefined) await put(requester, roomId, type, eventId, '');
    }
    ctx.body = {};
  });
}
