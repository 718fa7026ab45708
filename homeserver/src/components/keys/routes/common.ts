import type { Middleware } from 'koa';
import type { KeyBackup } from '../backup.js';
import type { KeysContext } from '../context.js';
import type { DeviceLists } from '../device-lists.js';
import type { ToDevice } from '../to-device.js';

export const CLIENT = '/_matrix/client/v3';

/** What every route file of the keys component is given. */
export interface KeysRouteDeps {
  k: KeysContext;
  auth: Middleware;
  deviceLists: DeviceLists;
  toDevice: ToDevice;
  backup: KeyBackup;
}
