import type Router from '@koa/router';
import { DEFAULT_ROOM_VERSION, supportedRoomVersions } from '../../../core/room-versions.js';
import { CLIENT, type RouteDeps } from './common.js';

/** GET /_matrix/client/v3/capabilities — what this server lets the user do. */
export function capabilitiesRoutes(router: Router, d: RouteDeps): void {
  const available = Object.fromEntries(supportedRoomVersions().map((v) => [v.id, v.stability]));
  const body = {
    capabilities: {
      'm.change_password': { enabled: true },
      'm.room_versions': { default: DEFAULT_ROOM_VERSION, available },
      'm.set_displayname': { enabled: true },
      'm.set_avatar_url': { enabled: true },
      'm.3pid_changes': { enabled: false },
      'm.get_login_token': { enabled: false },
      'm.profile_fields': { enabled: true },
    },
  };
  router.get(`${CLIENT}/capabilities`, d.auth, (ctx) => {
    ctx.body = body;
  });
}
