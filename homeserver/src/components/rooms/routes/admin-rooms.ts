import type Router from '@koa/router';
import type { RouterContext } from '@koa/router';
import { z } from 'zod';
import { requireAdmin, type Authenticate } from '../../../http/auth.js';
import { errors } from '../../../http/errors.js';
import { ROOM_ORDERS, type RoomAdmin, type RoomOrder } from '../admin.js';
import { checkPathParams, parseQuery, queryBoolean, queryInteger } from './query.js';

const roomsQuery = z.object({
  from: queryInteger({ min: 0 }).optional(),
  limit: queryInteger({ min: 0 }).optional(),
  order_by: z.enum(Object.keys(ROOM_ORDERS) as [RoomOrder, ...RoomOrder[]], 'unknown order').optional(),
  dir: z.enum(['f', 'b'], 'must be "f" or "b"').optional(),
  search_term: z.string().min(1, 'must not be empty').optional(),
  public_rooms: queryBoolean.optional(),
  empty_rooms: queryBoolean.optional(),
});

const reportsQuery = z.object({
  from: queryInteger({ min: 0 }).optional(),
  limit: queryInteger({ min: 0 }).optional(),
  dir: z.enum(['f', 'b'], 'must be "f" or "b"').optional(),
  user_id: z.string().optional(),
  room_id: z.string().optional(),
  event_sender_user_id: z.string().optional(),
});

function reportId(ctx: RouterContext): number {
  const raw = ctx.params.reportId!;
  const id = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(id) || id < 1) throw errors.invalidParam('The report_id parameter must be a string representing a positive integer.');
  return id;
}

/**
 * GET /_synapse/admin/v1/rooms
 * GET /_synapse/admin/v1/rooms/{roomId}
 * GET /_synapse/admin/v1/rooms/{roomId}/members
 * GET /_synapse/admin/v1/event_reports
 * GET|DELETE /_synapse/admin/v1/event_reports/{reportId}
 */
export function adminRoomRoutes(router: Router, admin: RoomAdmin, authenticate: Authenticate): void {
  const guard = [requireAdmin(authenticate), checkPathParams];
  router.get('/_synapse/admin/v1/rooms', ...guard, async (ctx) => {
    const q = parseQuery(ctx, roomsQuery);
    ctx.body = await admin.listRooms({
      from: q.from ?? 0,
      limit: q.limit ?? 100,
      orderBy: q.order_by ?? 'name',
      dir: q.dir ?? 'f',
      searchTerm: q.search_term,
      publicRooms: q.public_rooms,
      emptyRooms: q.empty_rooms,
    });
  });
  router.get('/_synapse/admin/v1/rooms/:roomId', ...guard, async (ctx) => {
    ctx.body = await admin.room(ctx.params.roomId!);
  });
  router.get('/_synapse/admin/v1/rooms/:roomId/members', ...guard, async (ctx) => {
    ctx.body = await admin.members(ctx.params.roomId!);
  });

  router.get('/_synapse/admin/v1/event_reports', ...guard, async (ctx) => {
    const q = parseQuery(ctx, reportsQuery);
    ctx.body = await admin.listReports({
      from: q.from ?? 0,
      limit: q.limit ?? 100,
      dir: q.dir ?? 'b',
      userId: q.user_id,
      roomId: q.room_id,
      eventSender: q.event_sender_user_id,
    });
  });
  router.get('/_synapse/admin/v1/event_reports/:reportId', ...guard, async (ctx) => {
    ctx.body = await admin.report(reportId(ctx));
  });
  router.delete('/_synapse/admin/v1/event_reports/:reportId', ...guard, async (ctx) => {
    await admin.deleteReport(reportId(ctx));
    ctx.body = {};
  });
}
