import type { ExecutionContext } from 'ava';
import { createLogger } from '../../src/log/logger.js';
import { registrationMac } from '../../src/components/users/routes/shared-secret.js';
import { captureLog } from '../helpers/app.js';
import type { Config } from '../../src/config/config.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

export const SHARED_SECRET = 'test-shared-secret-0123456789';

/** Shared-secret registration on, and rate limits out of the way of tests that make many users. */
export const USERS_TEST_ENV: Record<string, string> = {
  HS_REGISTRATION_SHARED_SECRET: SHARED_SECRET,
  HS_RATE_LIMIT_REGISTER_BURST: '10000',
  HS_RATE_LIMIT_LOGIN_BURST: '10000',
};

export interface UsersTestServer extends TestServer {
  /** JSON lines the server logged. */
  logLines(): Array<Record<string, unknown>>;
  /** A request with an access token. */
  as(token: string | undefined, method: string, urlPath: string, body?: unknown): ReturnType<TestServer['request']>;
}

export async function startUsersServer(t: ExecutionContext, env: Record<string, string> = {}, tweak?: (c: Config) => void): Promise<UsersTestServer> {
  const log = captureLog();
  const s = await startTestServer(t, { ...USERS_TEST_ENV, ...env }, { log: createLogger('info', log.stream), ...(tweak ? { tweak } : {}) });
  return {
    ...s,
    logLines: log.lines,
    as: (token, method, urlPath, body) => s.request(method, urlPath, body, token ? { Authorization: `Bearer ${token}` } : {}),
  };
}

export interface TestUser {
  userId: string;
  accessToken: string;
  deviceId: string;
  password: string;
}

/** A user made through shared-secret registration (no rate limit, no UIA). */
export async function createUser(s: TestServer, localpart: string, o: { admin?: boolean; password?: string } = {}): Promise<TestUser> {
  const password = o.password ?? `pw-${localpart}-secret`;
  const nonce = (await s.request('GET', '/_synapse/admin/v1/register')).body.nonce as string;
  const mac = registrationMac(SHARED_SECRET, { nonce, username: localpart, password, admin: o.admin ?? false });
  const res = await s.request('POST', '/_synapse/admin/v1/register', { nonce, username: localpart, password, admin: o.admin ?? false, mac });
  if (res.status !== 200) throw new Error(`createUser ${localpart}: ${res.status} ${JSON.stringify(res.body)}`);
  return { userId: res.body.user_id, accessToken: res.body.access_token, deviceId: res.body.device_id, password };
}

export const C = '/_matrix/client/v3';
export const enc = encodeURIComponent;

/** The m.login.password auth dict for a UIA session. */
export function passwordAuth(user: TestUser, session: string, password = user.password): Record<string, unknown> {
  return { type: 'm.login.password', identifier: { type: 'm.id.user', user: user.userId }, password, session };
}
