import type Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { errors, MatrixError } from '../../../http/errors.js';
import { jsonBody } from '../../../http/body.js';
import { getRequester } from '../../../http/auth.js';
import { isLocalUser, userIdFor } from '../ids.js';
import { listAccounts, type ListOptions } from '../storage/accounts.js';
import { listDevices } from '../storage/devices.js';
import { getProfile } from '../storage/profiles.js';
import { MAX_PASSWORD_LENGTH } from '../passwords.js';
import type { UsersService } from '../service.js';
import { ADMIN_V1, ADMIN_V2, parseBoolParam, parseIntParam, queryParam, userErrors, type RouteDeps } from './common.js';

const ORDER_BY = ['name', 'is_guest', 'admin', 'user_type', 'deactivated', 'shadow_banned', 'displayname', 'avatar_url', 'creation_ts', 'last_seen_ts'] as const;

const putUserBody = z
  .object({
    password: z.string().min(1).max(MAX_PASSWORD_LENGTH).nullable().optional(),
    logout_devices: z.boolean().optional(),
    displayname: z.string().max(256).nullable().optional(),
    avatar_url: z.string().nullable().optional(),
    threepids: z.array(z.unknown()).optional(),
    external_ids: z.array(z.unknown()).optional(),
    admin: z.boolean().optional(),
    deactivated: z.boolean().optional(),
    locked: z.boolean().optional(),
    user_type: z.enum(['bot', 'support']).nullable().optional(),
  })
  .passthrough();

const deactivateBody = z.object({ erase: z.boolean().optional() }).passthrough();
const resetPasswordBody = z.object({ new_password: z.string().min(1).max(MAX_PASSWORD_LENGTH), logout_devices: z.boolean().optional() }).passthrough();

/** Synapse's "query user account" object (its creation_ts here is in seconds, as Synapse has it). */
async function userView(users: UsersService, userId: string): Promise<Record<string, unknown> | undefined> {
  const account = await users.getAccount(userId);
  if (!account) return undefined;
  const [profile, devices] = await Promise.all([getProfile(users.db, userId), listDevices(users.db, userId)]);
  const seen = devices.map((d) => users.sessions.pendingLastSeen(userId, d.device_id)?.ts ?? d.last_seen_ts ?? 0);
  const lastSeen = seen.length > 0 ? Math.max(...seen) : 0;
  return {
    name: userId,
    displayname: typeof profile.displayname === 'string' ? profile.displayname : null,
    avatar_url: typeof profile.avatar_url === 'string' ? profile.avatar_url : null,
    threepids: [],
    external_ids: [],
    is_guest: false,
    admin: account.is_admin,
    deactivated: account.deactivated,
    erased: account.erased,
    shadow_banned: false,
    locked: account.locked,
    suspended: false,
    creation_ts: Math.floor(account.created_ts / 1000),
    last_seen_ts: lastSeen > 0 ? lastSeen : null,
    appservice_id: null,
    consent_server_notice_sent: null,
    consent_version: null,
    consent_ts: null,
    user_type: account.user_type,
  };
}

function localUserParam(ctx: Context, users: UsersService): string {
  const userId = ctx.params.userId!;
  if (!isLocalUser(userId, users.serverName)) throw userErrors.notLocal();
  return userId;
}

function checkAvatar(url: string): void {
  if (url !== '' && !/^mxc:\/\/[^/]+\/[^/]+$/.test(url)) throw errors.invalidParam('avatar_url must be an mxc:// URI');
}

/**
 * GET  /_synapse/admin/v2/users — pages of local accounts.
 * GET  /_synapse/admin/v2/users/{userId} — one account.
 * PUT  /_synapse/admin/v2/users/{userId} — creates (201) or modifies (200) an account.
 * POST /_synapse/admin/v1/deactivate/{userId} — deactivates, optionally erasing.
 * POST /_synapse/admin/v1/reset_password/{userId}
 * Shapes follow Synapse's user admin API so its tools work unchanged.
 */
export function adminUserRoutes(router: Router, d: RouteDeps): void {
  const { users } = d;

  router.get(`${ADMIN_V2}/users`, d.admin, async (ctx) => {
    const from = parseIntParam(ctx, 'from', 0) ?? 0;
    const limit = parseIntParam(ctx, 'limit', 1, 10_000) ?? 100;
    const orderBy = queryParam(ctx, 'order_by') ?? 'name';
    if (!(ORDER_BY as readonly string[]).includes(orderBy)) throw errors.invalidParam(`order_by must be one of ${ORDER_BY.join(', ')}`);
    const dir = queryParam(ctx, 'dir') ?? 'f';
    if (dir !== 'f' && dir !== 'b') throw errors.invalidParam('dir must be f or b');
    // There are no guests: `guests` is accepted and changes nothing.
    parseBoolParam(ctx, 'guests');
    const { rows, total } = await listAccounts(users.db, {
      from,
      limit,
      name: queryParam(ctx, 'name'),
      userId: queryParam(ctx, 'user_id'),
      deactivated: parseBoolParam(ctx, 'deactivated') ? 'include' : 'exclude',
      admins: parseBoolParam(ctx, 'admins'),
      orderBy: orderBy as ListOptions['orderBy'],
      direction: dir === 'f' ? 'asc' : 'desc',
    });
    ctx.body = {
      users: rows.map((r) => ({
        name: r.user_id,
        is_guest: false,
        admin: r.is_admin,
        user_type: r.user_type,
        deactivated: r.deactivated,
        erased: r.erased,
        shadow_banned: false,
        displayname: r.displayname,
        avatar_url: r.avatar_url,
        creation_ts: r.created_ts,
        last_seen_ts: r.last_seen_ts,
        locked: r.locked,
      })),
      total,
      ...(from + rows.length < total ? { next_token: String(from + rows.length) } : {}),
    };
  });

  router.get(`${ADMIN_V2}/users/:userId`, d.admin, async (ctx) => {
    const view = await userView(users, localUserParam(ctx, users));
    if (!view) throw userErrors.userNotFound();
    ctx.body = view;
  });

  router.put(`${ADMIN_V2}/users/:userId`, d.admin, async (ctx) => {
    const userId = localUserParam(ctx, users);
    const requester = getRequester(ctx);
    const b = await jsonBody(ctx, putUserBody);
    if ((b.threepids?.length ?? 0) > 0) throw errors.invalidParam('Third-party IDs are not supported on this server');
    if ((b.external_ids?.length ?? 0) > 0) throw errors.invalidParam('External IDs are not supported on this server');
    if (b.avatar_url) checkAvatar(b.avatar_url);
    const existing = await users.getAccount(userId);

    if (!existing) {
      // Refuses IDs a user could not have registered, like /register does.
      userIdFor(userId.slice(1, userId.indexOf(':')), users.serverName);
      await users.createAccount({ userId, password: b.password ?? null, admin: b.admin ?? false, displayname: b.displayname || null, userType: b.user_type ?? null });
      if (b.avatar_url) await users.setProfileField(userId, 'avatar_url', b.avatar_url);
      if (b.locked) await users.updateAccount(userId, { locked: true });
      if (b.deactivated) await users.deactivate(userId, { erase: false });
      users.log.info({ userId, by: requester.userId }, 'account created through the admin API');
      ctx.status = 201;
      ctx.body = await userView(users, userId);
      return;
    }

    if (b.admin === false && userId === requester.userId && existing.is_admin) throw new MatrixError(400, 'M_UNKNOWN', 'You may not demote yourself.');
    if (b.deactivated === false && existing.deactivated && !b.password) {
      throw errors.invalidParam('Must provide a password to re-activate an account.');
    }
    if (b.deactivated === false && existing.deactivated) await users.reactivate(userId, b.password ?? null);
    else if (b.password) await users.setPassword(userId, b.password, { logoutDevices: b.logout_devices ?? true });
    if (b.displayname !== undefined) await users.setProfileField(userId, 'displayname', b.displayname || undefined);
    if (b.avatar_url !== undefined) await users.setProfileField(userId, 'avatar_url', b.avatar_url || undefined);
    if (b.admin !== undefined && b.admin !== existing.is_admin) await users.setAdmin(userId, b.admin);
    if (b.locked !== undefined || b.user_type !== undefined) {
      await users.updateAccount(userId, { ...(b.locked !== undefined ? { locked: b.locked } : {}), ...(b.user_type !== undefined ? { user_type: b.user_type } : {}) });
    }
    if (b.deactivated === true && !existing.deactivated) await users.deactivate(userId, { erase: false });
    users.log.info({ userId, by: requester.userId }, 'account modified through the admin API');
    ctx.body = await userView(users, userId);
  });

  router.post(`${ADMIN_V1}/deactivate/:userId`, d.admin, async (ctx) => {
    const userId = localUserParam(ctx, users);
    const b = await jsonBody(ctx, deactivateBody, { allowEmpty: true });
    if (!(await users.getAccount(userId))) throw userErrors.userNotFound();
    await users.deactivate(userId, { erase: b.erase ?? false });
    users.log.info({ userId, erase: b.erase ?? false, by: getRequester(ctx).userId }, 'account deactivated through the admin API');
    ctx.body = { id_server_unbind_result: 'success' };
  });

  router.post(`${ADMIN_V1}/reset_password/:userId`, d.admin, async (ctx) => {
    const userId = localUserParam(ctx, users);
    const b = await jsonBody(ctx, resetPasswordBody);
    const account = await users.getAccount(userId);
    if (!account) throw userErrors.userNotFound();
    if (account.deactivated) throw errors.invalidParam('The account is deactivated');
    await users.setPassword(userId, b.new_password, { logoutDevices: b.logout_devices ?? true });
    ctx.body = {};
  });
}
