import type Router from '@koa/router';
import type { Config } from '../../config/config.js';
import type { Knex } from '../../db/database.js';
import type { Logger } from '../../log/logger.js';
import { requireAdmin, requireAuth } from '../../http/auth.js';
import { validate } from '../../http/body.js';
import { RateLimiter } from '../../http/rate-limit.js';
import type { Component } from '../component.js';
import type { UsersApi, UsersFederation } from './api.js';
import { JwtLogin } from './jwt.js';
import { summary, UsersService } from './service.js';
import * as accounts from './storage/accounts.js';
import * as accountData from './storage/account-data.js';
import * as devices from './storage/devices.js';
import * as filters from './storage/filters.js';
import * as profiles from './storage/profiles.js';
import { limitPasswordAttempts, type RouteDeps } from './routes/common.js';
import { authDictSchema } from './uia.js';
import { registerRoutes } from './routes/register.js';
import { sharedSecretRoutes } from './routes/shared-secret.js';
import { loginRoutes } from './routes/login.js';
import { logoutRoutes } from './routes/logout.js';
import { accountRoutes } from './routes/account.js';
import { deviceRoutes } from './routes/devices.js';
import { profileRoutes } from './routes/profile.js';
import { federationProfileRoutes } from './routes/federation-profile.js';
import { openIdFederationRoutes, openIdRoutes } from './routes/openid.js';
import { RemoteProfiles } from './remote-profiles.js';
import { accountDataRoutes } from './routes/account-data.js';
import { tagRoutes } from './routes/tags.js';
import { filterRoutes } from './routes/filters.js';
import { capabilitiesRoutes } from './routes/capabilities.js';
import { adminUserRoutes } from './routes/admin-users.js';
import { adminRegistrationTokenRoutes } from './routes/admin-registration-tokens.js';

export interface UsersDeps {
  db: Knex;
  log: Logger;
  config: Config;
}

export type UsersComponent = Component & { readonly api: UsersApi };

/** Accounts, sessions, devices, profiles, account data, filters and the user admin API. */
export function createUsers(deps: UsersDeps): UsersComponent {
  const { config, db } = deps;
  const users = new UsersService(db, deps.log, {
    serverName: config.serverName,
    openRegistration: config.registration.open,
    sharedSecret: config.registration.sharedSecret,
    refreshableLifetimeMs: config.auth.refreshableAccessTokenLifetimeMs,
  });
  const jwt = config.jwt.secret !== undefined ? new JwtLogin({ ...config.jwt, secret: config.jwt.secret }, config.serverName) : undefined;
  const auth = requireAuth(users.authenticate);
  const admin = requireAdmin(users.authenticate);
  const routeDeps: RouteDeps = {
    users,
    auth,
    admin,
    jwt,
    limits: { register: new RateLimiter(config.rateLimits.register), login: new RateLimiter(config.rateLimits.login) },
  };

  let federation: UsersFederation | undefined;
  const remoteProfiles = new RemoteProfiles();

  const api: UsersApi = {
    authenticate: users.authenticate,
    requireAuth: auth,
    requireAdmin: admin,
    async userExists(userId) {
      const a = await users.getAccount(userId);
      return a !== undefined && !a.deactivated;
    },
    async isAdmin(userId) {
      return (await users.getAccount(userId))?.is_admin ?? false;
    },
    async getProfile(userId) {
      const p = await users.getProfile(userId);
      return p && summary(p);
    },
    async getProfiles(userIds) {
      const found = await accounts.existingUserIds(db, userIds);
      const fields = await profiles.getProfiles(db, found);
      return new Map(found.map((id) => [id, summary(fields.get(id) ?? {})]));
    },
    getFilter: (userId, filterId) => filters.getFilter(db, userId, filterId),
    async getDevices(userId) {
      return (await devices.listDevices(db, userId)).map((d) => ({ deviceId: d.device_id, displayName: d.display_name }));
    },
    async getDevicesOf(userIds) {
      const out = new Map<string, Array<{ deviceId: string; displayName: string | null }>>();
      if (userIds.length === 0) return out;
      const rows = (await db('users_devices').whereIn('user_id', [...userIds]).orderBy('created_ts').select('user_id', 'device_id', 'display_name')) as Array<{
        user_id: string;
        device_id: string;
        display_name: string | null;
      }>;
      for (const r of rows) {
        const list = out.get(r.user_id) ?? [];
        list.push({ deviceId: r.device_id, displayName: r.display_name });
        out.set(r.user_id, list);
      }
      return out;
    },
    async requirePassword(ctx, requester, auth, operation) {
      const dict = auth === undefined ? undefined : validate(authDictSchema, auth);
      limitPasswordAttempts(routeDeps, ctx, dict);
      const result = await users.uia.check({ operation, userId: requester.userId, flows: [['m.login.password']], auth: dict });
      return { finish: () => result.finish() };
    },
    getAccountData: (userId, roomId, type) => accountData.getAccountData(db, userId, roomId, type),
    putAccountData: (userId, roomId, type, content) => users.putAccountData(userId, roomId, type, content),
    accountDataSince: (userId, since, limit) => accountData.accountDataSince(db, userId, since, limit),
    accountDataPosition: () => accountData.maxAccountDataStreamId(db),
    useFederation(f) {
      federation = f;
      remoteProfiles.use(f);
    },
    onProfileChanged: (l) => users.onProfileChanged(l),
    onDeactivated: (l) => users.onDeactivated(l),
    onDevicesDeleted: (l) => users.onDevicesDeleted(l),
    onDeviceRenamed: (l) => users.onDeviceRenamed(l),
    onAccountDataChanged: (l) => users.onAccountDataChanged(l),
  };

  return {
    name: 'users',
    api,
    routes(router: Router) {
      registerRoutes(router, routeDeps);
      sharedSecretRoutes(router, routeDeps);
      loginRoutes(router, routeDeps);
      logoutRoutes(router, routeDeps);
      accountRoutes(router, routeDeps);
      deviceRoutes(router, routeDeps);
      profileRoutes(router, routeDeps, remoteProfiles);
      accountDataRoutes(router, routeDeps);
      tagRoutes(router, routeDeps);
      filterRoutes(router, routeDeps);
      capabilitiesRoutes(router, routeDeps);
      openIdRoutes(router, deps.db, config.serverName, users.authenticate);
      adminUserRoutes(router, routeDeps);
      adminRegistrationTokenRoutes(router, routeDeps);
    },
    federationRoutes(router: Router) {
      federationProfileRoutes(router, users, () => federation);
      openIdFederationRoutes(router, deps.db);
    },
    async start() {
      await jwt?.start();
      await users.bootstrap();
      await users.start();
    },
    stop: () => users.stop(),
  };
}
