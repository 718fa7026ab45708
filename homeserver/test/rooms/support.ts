import type { ExecutionContext } from 'ava';
import { registrationMac } from '../../src/components/users/routes/shared-secret.js';
import { registerUser, txn, type TestUser } from '../helpers/client.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const SHARED_SECRET = 'rooms-test-shared-secret-0123456789';

/** Open registration, shared-secret registration for admins, and no rate limits in the way. */
export function startRoomsServer(t: ExecutionContext): Promise<TestServer> {
  return startTestServer(t, {
    HS_OPEN_REGISTRATION: '1',
    HS_REGISTRATION_SHARED_SECRET: SHARED_SECRET,
    HS_RATE_LIMIT_REGISTER_BURST: '10000',
    HS_RATE_LIMIT_LOGIN_BURST: '10000',
  });
}

export { registerUser, txn, type TestUser };

/** A server admin, made through shared-secret registration. */
export async function registerAdmin(s: TestServer, localpart: string): Promise<TestUser> {
  const password = `pw-${localpart}-secret`;
  const nonce = (await s.request('GET', '/_synapse/admin/v1/register')).body.nonce as string;
  const mac = registrationMac(SHARED_SECRET, { nonce, username: localpart, password, admin: true });
  const res = await s.request('POST', '/_synapse/admin/v1/register', { nonce, username: localpart, password, admin: true, mac });
  if (res.status !== 200) throw new Error(`registerAdmin ${localpart}: ${res.status} ${JSON.stringify(res.body)}`);
  const { user_id: userId, access_token: accessToken, device_id: deviceId } = res.body as { user_id: string; access_token: string; device_id: string };
  return { userId, accessToken, deviceId, call: (method, path, body) => s.request(method, path, body, { Authorization: `Bearer ${accessToken}` }) };
}

export const enc = encodeURIComponent;
export const room = (roomId: string): string => `/_matrix/client/v3/rooms/${enc(roomId)}`;
export const roomV1 = (roomId: string): string => `/_matrix/client/v1/rooms/${enc(roomId)}`;

export async function createRoom(user: TestUser, body: Record<string, unknown> = {}): Promise<string> {
  const res = await user.call('POST', '/_matrix/client/v3/createRoom', body);
  if (res.status !== 200) throw new Error(`createRoom: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.room_id as string;
}

export async function join(user: TestUser, roomId: string): Promise<void> {
  const res = await user.call('POST', `${room(roomId)}/join`, {});
  if (res.status !== 200) throw new Error(`join: ${res.status} ${JSON.stringify(res.body)}`);
}

export async function send(user: TestUser, roomId: string, content: Record<string, unknown>, type = 'm.room.message'): Promise<string> {
  const res = await user.call('PUT', `${room(roomId)}/send/${type}/${txn()}`, content);
  if (res.status !== 200) throw new Error(`send: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.event_id as string;
}

export async function setState(user: TestUser, roomId: string, type: string, content: Record<string, unknown>, key = ''): Promise<string> {
  const res = await user.call('PUT', `${room(roomId)}/state/${type}/${enc(key)}`, content);
  if (res.status !== 200) throw new Error(`setState ${type}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.event_id as string;
}

export const text = (body: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ msgtype: 'm.text', body, ...extra });
