import { randomBytes } from 'node:crypto';
import type { ExecutionContext } from 'ava';
import { encodeBase64 } from '../../src/core/base64.js';
import { canonicalJsonBytes } from '../../src/core/canonical-json.js';
import { generateSigningKey, signBytes, type SigningKey } from '../../src/core/signing.js';
import { registerUser, txn, type TestUser } from '../helpers/client.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

export { registerUser, txn, type TestUser };

export const C = '/_matrix/client/v3';
export const PASSWORD = 'correct horse battery staple';
export const enc = encodeURIComponent;

export function startKeysServer(t: ExecutionContext): Promise<TestServer> {
  return startTestServer(t, { HS_OPEN_REGISTRATION: '1', HS_RATE_LIMIT_REGISTER_BURST: '10000', HS_RATE_LIMIT_LOGIN_BURST: '10000' });
}

/** Adds a signature to a JSON object (any key ID: cross-signing IDs hold `+` and `/`). */
export function sign<T extends Record<string, any>>(obj: T, userId: string, keyId: string, key: SigningKey): T {
  const { signatures, unsigned: _u, ...rest } = obj;
  const signature = signBytes(key.seed, canonicalJsonBytes(rest));
  const sigs = (signatures ?? {}) as Record<string, Record<string, string>>;
  return { ...obj, signatures: { ...sigs, [userId]: { ...(sigs[userId] ?? {}), [keyId]: signature } } };
}

/** A random 32-byte key in unpadded base64 (stands in for Curve25519 keys). */
export const randomKey = (): string => encodeBase64(randomBytes(32));

export interface Device {
  userId: string;
  deviceId: string;
  ed: SigningKey;
  curve: string;
  keys: Record<string, any>;
}

/** Identity keys of a device, signed with its own Ed25519 key. */
export function makeDevice(user: { userId: string; deviceId: string }): Device {
  const ed = generateSigningKey();
  const curve = randomKey();
  const unsigned = {
    user_id: user.userId,
    device_id: user.deviceId,
    algorithms: ['m.olm.v1.curve25519-aes-sha2', 'm.megolm.v1.aes-sha2'],
    keys: { [`curve25519:${user.deviceId}`]: curve, [`ed25519:${user.deviceId}`]: ed.publicKey },
  };
  return { userId: user.userId, deviceId: user.deviceId, ed, curve, keys: sign(unsigned, user.userId, `ed25519:${user.deviceId}`, ed) };
}

/** `n` signed_curve25519 one-time keys named `<prefix>0…`, signed by the device. */
export function oneTimeKeys(d: Device, n: number, prefix = 'k', extra: Record<string, unknown> = {}): Record<string, any> {
  const out: Record<string, any> = {};
  for (let i = 0; i < n; i++) out[`signed_curve25519:${prefix}${i}`] = sign({ key: randomKey(), ...extra }, d.userId, `ed25519:${d.deviceId}`, d.ed);
  return out;
}

export async function upload(user: TestUser, body: Record<string, unknown>): Promise<{ status: number; body: any }> {
  return user.call('POST', `${C}/keys/upload`, body);
}

export async function sync(user: TestUser, params: Record<string, string> = {}): Promise<any> {
  const res = await user.call('GET', `${C}/sync?${new URLSearchParams(params)}`);
  if (res.status !== 200) throw new Error(`sync: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** Logs the user in again: a second device with its own token. */
export async function login(s: TestServer, user: TestUser, deviceId?: string): Promise<TestUser> {
  const res = await s.request('POST', `${C}/login`, {
    type: 'm.login.password',
    identifier: { type: 'm.id.user', user: user.userId },
    password: PASSWORD,
    ...(deviceId ? { device_id: deviceId } : {}),
  });
  if (res.status !== 200) throw new Error(`login: ${res.status} ${JSON.stringify(res.body)}`);
  const token = res.body.access_token as string;
  return { userId: user.userId, accessToken: token, deviceId: res.body.device_id, call: (m, p, b) => s.request(m, p, b, { Authorization: `Bearer ${token}` }) };
}

export async function createRoom(user: TestUser, body: Record<string, unknown> = {}): Promise<string> {
  const res = await user.call('POST', `${C}/createRoom`, body);
  if (res.status !== 200) throw new Error(`createRoom: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.room_id;
}

export async function join(user: TestUser, roomId: string): Promise<void> {
  const res = await user.call('POST', `${C}/rooms/${enc(roomId)}/join`, {});
  if (res.status !== 200) throw new Error(`join: ${res.status} ${JSON.stringify(res.body)}`);
}

export async function leave(user: TestUser, roomId: string): Promise<void> {
  const res = await user.call('POST', `${C}/rooms/${enc(roomId)}/leave`, {});
  if (res.status !== 200) throw new Error(`leave: ${res.status} ${JSON.stringify(res.body)}`);
}

export interface CrossSigning {
  master: SigningKey;
  ssk: SigningKey;
  usk: SigningKey;
  masterKey: Record<string, any>;
  sskKey: Record<string, any>;
  uskKey: Record<string, any>;
}

/** A fresh set of cross-signing keys, the self- and user-signing ones signed by the master key. */
export function makeCrossSigning(userId: string): CrossSigning {
  const master = generateSigningKey();
  const ssk = generateSigningKey();
  const usk = generateSigningKey();
  const key = (usage: string, k: SigningKey) => ({ user_id: userId, usage: [usage], keys: { [`ed25519:${k.publicKey}`]: k.publicKey } });
  const masterKey = key('master', master);
  return {
    master,
    ssk,
    usk,
    masterKey,
    sskKey: sign(key('self_signing', ssk), userId, `ed25519:${master.publicKey}`, master),
    uskKey: sign(key('user_signing', usk), userId, `ed25519:${master.publicKey}`, master),
  };
}

/** Waits until `check` holds, polling; fails the test with `label` after the deadline. */
export async function eventually<T>(check: () => Promise<T | undefined>, label: string, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`never happened: ${label}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
