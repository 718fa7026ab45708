import type Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { isValidRoomId } from '../../../core/ids.js';
import type { JsonObject } from '../../../core/json.js';
import { getRequester } from '../../../http/auth.js';
import { jsonBody } from '../../../http/body.js';
import { errors } from '../../../http/errors.js';
import { queryString } from '../../../http/params.js';
import type { SessionRow } from '../storage/backup.js';
import { idString } from '../schemas.js';
import { CLIENT, type KeysRouteDeps } from './common.js';

const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/** One backed-up session key; session_data as m.megolm_backup.v1.curve25519-aes-sha2 encrypts it. */
const keyData = z
  .object({
    first_message_index: count,
    forwarded_count: count,
    is_verified: z.boolean(),
    session_data: z.object({ ephemeral: z.string(), ciphertext: z.string(), mac: z.string() }).passthrough(),
  })
  .passthrough();

const roomId = z.string().max(255).refine((s) => isValidRoomId(s), 'must be a room ID');
const roomBody = z.object({ sessions: z.record(idString, keyData) }).passthrough();
const allBody = z.object({ rooms: z.record(roomId, roomBody) }).passthrough();

type KeyData = z.infer<typeof keyData>;

function row(room: string, sessionId: string, k: KeyData): SessionRow {
  return {
    roomId: room,
    sessionId,
    first_message_index: k.first_message_index,
    forwarded_count: k.forwarded_count,
    is_verified: k.is_verified,
    session_data: k.session_data as JsonObject,
  };
}

function view(r: SessionRow): JsonObject {
  return { first_message_index: r.first_message_index, forwarded_count: r.forwarded_count, is_verified: r.is_verified, session_data: r.session_data };
}

function versionParam(ctx: Context): string {
  const v = queryString(ctx, 'version');
  if (v === undefined || v === '') throw errors.missingParam('The version query parameter is required');
  return v;
}

function roomParam(ctx: Context): string {
  const r = ctx.params.roomId!;
  if (!isValidRoomId(r)) throw errors.invalidParam(`${JSON.stringify(r)} is not a room ID`);
  return r;
}

function sessionParam(ctx: Context): string {
  const s = ctx.params.sessionId!;
  if (s.length === 0 || s.length > 255) throw errors.invalidParam('sessionId must be 1 to 255 characters');
  return s;
}

/**
 * GET/PUT/DELETE /_matrix/client/v3/room_keys/keys[/{roomId}[/{sessionId}]]?version=…
 * Keys are written to the current version only (else 403 M_WRONG_ROOM_KEYS_VERSION); a stored key
 * is replaced only by a better one. Writes and deletes answer the backup's new etag and count.
 */
export function backupKeyRoutes(router: Router, d: KeysRouteDeps): void {
  const base = `${CLIENT}/room_keys/keys`;
  const user = (ctx: Context): string => getRequester(ctx).userId;

  router.put(base, d.auth, async (ctx) => {
    const body = await jsonBody(ctx, allBody);
    const rows = Object.entries(body.rooms).flatMap(([r, room]) => Object.entries(room.sessions).map(([s, k]) => row(r, s, k)));
    ctx.body = await d.backup.putKeys(user(ctx), versionParam(ctx), rows);
  });
  router.put(`${base}/:roomId`, d.auth, async (ctx) => {
    const r = roomParam(ctx);
    const body = await jsonBody(ctx, roomBody);
    ctx.body = await d.backup.putKeys(user(ctx), versionParam(ctx), Object.entries(body.sessions).map(([s, k]) => row(r, s, k)));
  });
  router.put(`${base}/:roomId/:sessionId`, d.auth, async (ctx) => {
    const r = roomParam(ctx);
    const s = sessionParam(ctx);
    const body = await jsonBody(ctx, keyData);
    ctx.body = await d.backup.putKeys(user(ctx), versionParam(ctx), [row(r, s, body)]);
  });

  router.get(base, d.auth, async (ctx) => {
    const rooms: Record<string, { sessions: Record<string, JsonObject> }> = {};
    for (const k of await d.backup.getKeys(user(ctx), versionParam(ctx))) (rooms[k.roomId] ??= { sessions: {} }).sessions[k.sessionId] = view(k);
    ctx.body = { rooms };
  });
  router.get(`${base}/:roomId`, d.auth, async (ctx) => {
    const sessions: Record<string, JsonObject> = {};
    for (const k of await d.backup.getKeys(user(ctx), versionParam(ctx), roomParam(ctx))) sessions[k.sessionId] = view(k);
    ctx.body = { sessions };
  });
  router.get(`${base}/:roomId/:sessionId`, d.auth, async (ctx) => {
    const [k] = await d.backup.getKeys(user(ctx), versionParam(ctx), roomParam(ctx), sessionParam(ctx));
    if (!k) throw errors.notFound('Key not found');
    ctx.body = view(k);
  });

  router.delete(base, d.auth, async (ctx) => {
    ctx.body = await d.backup.deleteKeys(user(ctx), versionParam(ctx));
  });
  router.delete(`${base}/:roomId`, d.auth, async (ctx) => {
    ctx.body = await d.backup.deleteKeys(user(ctx), versionParam(ctx), roomParam(ctx));
  });
  router.delete(`${base}/:roomId/:sessionId`, d.auth, async (ctx) => {
    ctx.body = await d.backup.deleteKeys(user(ctx), versionParam(ctx), roomParam(ctx), sessionParam(ctx));
  });
}
