import { createHash } from 'node:crypto';
import type Router from '@koa/router';
import { z } from 'zod';
import { errors } from '../../../http/errors.js';
import { jsonBody } from '../../../http/body.js';
import { getRequester } from '../../../http/auth.js';
import { authDictSchema } from '../uia.js';
import type { DeviceRow } from '../storage/devices.js';
import { CLIENT, limitPasswordAttempts, type RouteDeps } from './common.js';

const PASSWORD_FLOWS = [['m.login.password']];

const updateBody = z.object({ display_name: z.string().max(255).optional() }).passthrough();
const deleteBody = z.object({ auth: authDictSchema.optional() }).passthrough();
const deleteManyBody = z.object({ devices: z.array(z.string().max(255)).max(1000), auth: authDictSchema.optional() }).passthrough();

function view(d: DeviceRow): Record<string, unknown> {
  return {
    device_id: d.device_id,
    ...(d.display_name !== null ? { display_name: d.display_name } : {}),
    ...(d.last_seen_ip !== null ? { last_seen_ip: d.last_seen_ip } : {}),
    ...(d.last_seen_ts !== null ? { last_seen_ts: d.last_seen_ts } : {}),
  };
}

/** A UIA session authorises deleting exactly the devices it was started for. */
function operationFor(devices: readonly string[]): string {
  const digest = createHash('sha256').update(JSON.stringify([...devices].sort())).digest('base64url').slice(0, 16);
  return `delete_devices:${digest}`;
}

/**
 * GET    /_matrix/client/v3/devices — the requester's devices.
 * GET    /_matrix/client/v3/devices/{deviceId}
 * PUT    /_matrix/client/v3/devices/{deviceId} — rename.
 * DELETE /_matrix/client/v3/devices/{deviceId} — UIA (m.login.password); ends its tokens.
 * POST   /_matrix/client/v3/delete_devices — the same for several.
 */
export function deviceRoutes(router: Router, d: RouteDeps): void {
  const { users } = d;

  router.get(`${CLIENT}/devices`, d.auth, async (ctx) => {
    ctx.body = { devices: (await users.listDevices(getRequester(ctx).userId)).map(view) };
  });

  router.get(`${CLIENT}/devices/:deviceId`, d.auth, async (ctx) => {
    const device = await users.getDevice(getRequester(ctx).userId, ctx.params.deviceId!);
    if (!device) throw errors.notFound('Device not found');
    ctx.body = view(device);
  });

  router.put(`${CLIENT}/devices/:deviceId`, d.auth, async (ctx) => {
    const r = getRequester(ctx);
    const body = await jsonBody(ctx, updateBody);
    const device = await users.getDevice(r.userId, ctx.params.deviceId!);
    if (!device) throw errors.notFound('Device not found');
    if (body.display_name !== undefined) await users.renameDevice(r.userId, device.device_id, body.display_name);
    ctx.body = {};
  });

  router.delete(`${CLIENT}/devices/:deviceId`, d.auth, async (ctx) => {
    const r = getRequester(ctx);
    const body = await jsonBody(ctx, deleteBody, { allowEmpty: true });
    const devices = [ctx.params.deviceId!];
    limitPasswordAttempts(d, ctx, body.auth);
    const uia = await users.uia.check({ operation: operationFor(devices), userId: r.userId, flows: PASSWORD_FLOWS, auth: body.auth });
    await users.deleteDevices(r.userId, devices);
    await uia.finish();
    ctx.body = {};
  });

  router.post(`${CLIENT}/delete_devices`, d.auth, async (ctx) => {
    const r = getRequester(ctx);
    const body = await jsonBody(ctx, deleteManyBody);
    limitPasswordAttempts(d, ctx, body.auth);
    const uia = await users.uia.check({ operation: operationFor(body.devices), userId: r.userId, flows: PASSWORD_FLOWS, auth: body.auth });
    await users.deleteDevices(r.userId, body.devices);
    await uia.finish();
    ctx.body = {};
  });
}
