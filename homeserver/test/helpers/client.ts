import type { TestServer } from './server.js';

export interface TestUser {
  userId: string;
  accessToken: string;
  deviceId: string;
  /** A request with this user's access token. */
  call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any; headers: Headers }>;
}

let txnCounter = 0;
/** A fresh transaction ID for send endpoints. */
export const txn = (): string => `t${Date.now()}_${txnCounter++}`;

/** Registers a user through the client API (the server must run with open registration). */
export async function registerUser(s: TestServer, localpart: string, password = 'correct horse battery staple'): Promise<TestUser> {
  let res = await s.request('POST', '/_matrix/client/v3/register', { username: localpart, password, auth: { type: 'm.login.dummy' } });
  if (res.status === 401 && res.body.session) {
    res = await s.request('POST', '/_matrix/client/v3/register', { username: localpart, password, auth: { type: 'm.login.dummy', session: res.body.session } });
  }
  if (res.status !== 200) throw new Error(`register ${localpart}: ${res.status} ${JSON.stringify(res.body)}`);
  const { user_id: userId, access_token: accessToken, device_id: deviceId } = res.body as { user_id: string; access_token: string; device_id: string };
  return {
    userId,
    accessToken,
    deviceId,
    call: (method, path, body) => s.request(method, path, body, { Authorization: `Bearer ${accessToken}` }),
  };
}
