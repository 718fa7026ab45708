import { createHmac } from 'node:crypto';
import { api, type BenchUser } from './client.js';

/**
 * Logins without a password hash: scenarios that need thousands of devices use the server's JWT
 * login (configured by `JWT_ENV`), so argon2 — which the rj scenario measures on purpose — does
 * not dominate their set-up time.
 */
const SECRET = 'hearth-bench-jwt-secret';
export const JWT_ENV = { HS_JWT_SECRET: SECRET, HS_JWT_ALGORITHM: 'HS256' } as const;

const b64url = (s: string | Buffer): string => Buffer.from(s).toString('base64url');

function hs256(claims: Record<string, unknown>): string {
  const head = `${b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${b64url(JSON.stringify(claims))}`;
  return `${head}.${createHmac('sha256', SECRET).update(head).digest('base64url')}`;
}

/** A new device (and access token) for `localpart`; the first login creates the account. */
export async function jwtLogin(base: string, localpart: string): Promise<BenchUser> {
  const body = await api(base, 'POST', '/_matrix/client/v3/login', undefined, { type: 'org.matrix.login.jwt', token: hs256({ sub: localpart }) });
  return { userId: body.user_id, token: body.access_token };
}
