import type Router from '@koa/router';
import type { Context } from 'koa';
import { errors, MatrixError } from '../../../http/errors.js';
import { readJsonObject } from '../../../http/body.js';
import { getRequester } from '../../../http/auth.js';
import { parseUserId } from '../../../core/ids.js';
import { isLocalUser } from '../ids.js';
import type { RemoteProfiles } from '../remote-profiles.js';
import { CLIENT, requireSelf, type RouteDeps } from './common.js';

/** `avatar_url`, `displayname`, `m.tz`, or a namespaced custom field (spec v1.16 "Profiles"). */
const KEY = /^(avatar_url|displayname|m\.tz|[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+)$/;
const MAX_DISPLAYNAME_LENGTH = 256;

function checkKey(key: string): void {
  if (Buffer.byteLength(key, 'utf8') > 255) throw new MatrixError(400, 'M_KEY_TOO_LARGE', 'Profile keys may be at most 255 bytes');
  if (!KEY.test(key)) throw errors.invalidParam('Invalid profile key');
}

/** The value to store for a field, or undefined to remove it; wrong types are M_BAD_JSON. */
function checkValue(key: string, value: unknown): unknown {
  switch (key) {
    case 'displayname':
      if (value === null || value === '') return undefined;
      if (typeof value !== 'string') throw errors.badJson('displayname must be a string');
      if (value.length > MAX_DISPLAYNAME_LENGTH) throw errors.invalidParam(`displayname may be at most ${MAX_DISPLAYNAME_LENGTH} characters`);
      return value;
    case 'avatar_url':
      if (value === null || value === '') return undefined;
      if (typeof value !== 'string') throw errors.badJson('avatar_url must be a string');
      if (!/^mxc:\/\/[^/]+\/[^/]+$/.test(value)) throw errors.invalidParam('avatar_url must be an mxc:// URI');
      return value;
    case 'm.tz':
      if (typeof value !== 'string') throw errors.badJson('m.tz must be a string');
      return value;
    default:
      return value;
  }
}

/**
 * GET    /_matrix/client/v3/profile/{userId} — every field.
 * GET    /_matrix/client/v3/profile/{userId}/{keyName} — one field.
 * PUT    /_matrix/client/v3/profile/{userId}/{keyName} — the owner sets a field.
 * DELETE /_matrix/client/v3/profile/{userId}/{keyName} — the owner removes a field.
 * Remote users' profiles are asked of their server (briefly cached).
 */
export function profileRoutes(router: Router, d: RouteDeps, remote: RemoteProfiles): void {
  const { users } = d;

  const profileOf = async (ctx: Context): Promise<Record<string, unknown>> => {
    const userId = ctx.params.userId!;
    if (parseUserId(userId) === null) throw errors.notFound('Profile not found');
    if (!isLocalUser(userId, users.serverName)) return remote.get(userId);
    const profile = await users.getProfile(userId);
    if (!profile) throw errors.notFound('Profile not found');
    return profile;
  };

  router.get(`${CLIENT}/profile/:userId`, async (ctx) => {
    ctx.body = await profileOf(ctx);
  });

  router.get(`${CLIENT}/profile/:userId/:keyName`, async (ctx) => {
    const key = ctx.params.keyName!;
    const profile = await profileOf(ctx);
    if (!Object.hasOwn(profile, key)) throw errors.notFound('Profile field not found');
    ctx.body = { [key]: profile[key] };
  });

  router.put(`${CLIENT}/profile/:userId/:keyName`, d.auth, async (ctx) => {
    const userId = ctx.params.userId!;
    const key = ctx.params.keyName!;
    requireSelf(getRequester(ctx), userId, 'set the profile');
    checkKey(key);
    const body = await readJsonObject(ctx);
    if (!Object.hasOwn(body, key)) throw errors.missingParam(`Missing key '${key}'`);
    await users.setProfileField(userId, key, checkValue(key, body[key]));
    ctx.body = {};
  });

  router.delete(`${CLIENT}/profile/:userId/:keyName`, d.auth, async (ctx) => {
    const userId = ctx.params.userId!;
    const key = ctx.params.keyName!;
    requireSelf(getRequester(ctx), userId, 'change the profile');
    checkKey(key);
    await users.setProfileField(userId, key, undefined);
    ctx.body = {};
  });
}
