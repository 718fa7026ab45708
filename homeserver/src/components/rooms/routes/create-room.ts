import type Router from '@koa/router';
import { z } from 'zod';
import { parseUserId } from '../../../core/ids.js';
import { DEFAULT_ROOM_VERSION, roomVersion } from '../../../core/room-versions.js';
import { jsonBody } from '../../../http/body.js';
import { errors, MatrixError } from '../../../http/errors.js';
import { getRequester, type Authenticate } from '../../../http/auth.js';
import { requireAuth } from '../../../http/auth.js';
import type { RoomsService } from '../service.js';

const jsonObject = z.record(z.string(), z.unknown());

const schema = z.object({
  visibility: z.enum(['public', 'private']).optional(),
  room_alias_name: z.string().min(1).max(200).optional(),
  name: z.string().max(255 * 4).optional(),
  topic: z.string().optional(),
  invite: z.array(z.string()).max(100).optional(),
  invite_3pid: z.array(z.unknown()).optional(),
  room_version: z.string().optional(),
  creation_content: jsonObject.optional(),
  initial_state: z.array(z.object({ type: z.string().min(1), state_key: z.string().optional(), content: jsonObject })).max(100).optional(),
  preset: z.enum(['private_chat', 'public_chat', 'trusted_private_chat']).optional(),
  is_direct: z.boolean().optional(),
  power_level_content_override: jsonObject.optional(),
});

/** POST /_matrix/client/v3/createRoom */
export function createRoomRoutes(router: Router, service: RoomsService, authenticate: Authenticate): void {
  router.post('/_matrix/client/v3/createRoom', requireAuth(authenticate), async (ctx) => {
    const requester = getRequester(ctx);
    const body = await jsonBody(ctx, schema);
    const versionId = body.room_version ?? DEFAULT_ROOM_VERSION;
    const rv = roomVersion(versionId);
    if (!rv?.supported) throw new MatrixError(400, 'M_UNSUPPORTED_ROOM_VERSION', `Room version ${versionId} is not supported`);
    for (const u of body.invite ?? []) {
      if (!parseUserId(u)) throw errors.invalidParam(`invalid user ID in invite: ${u}`);
    }
    if (body.invite_3pid && body.invite_3pid.length > 0) {
      throw errors.forbidden('Third-party invites are not supported by this server');
    }
    if (body.room_alias_name !== undefined && /[:#\s]/.test(body.room_alias_name)) {
      throw new MatrixError(400, 'M_INVALID_PARAM', 'room_alias_name must be a local part without ":" or "#"');
    }
    const roomId = await service.createRoom(requester, rv, {
      preset: body.preset,
      visibility: body.visibility,
      name: body.name,
      topic: body.topic,
      roomAliasName: body.room_alias_name,
      invite: [...new Set(body.invite ?? [])].filter((u) => u !== requester.userId),
      isDirect: body.is_direct ?? false,
      initialState: (body.initial_state ?? []).map((s) => ({ type: s.type, state_key: s.state_key ?? '', content: s.content as never })),
      creationContent: (body.creation_content ?? {}) as never,
      powerLevelContentOverride: body.power_level_content_override as never,
    });
    ctx.body = { room_id: roomId };
  });
}
