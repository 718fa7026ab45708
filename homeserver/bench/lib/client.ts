import { Agent, request } from 'undici';

/** One connection pool for all bench clients: many concurrent long-polls on loopback. */
export const agent = new Agent({ connections: 2048, pipelining: 1, keepAliveTimeout: 60_000 });

export interface BenchUser {
  userId: string;
  token: string;
}

export async function api(base: string, method: string, path: string, token?: string, body?: unknown): Promise<any> {
  return (await apiSized(base, method, path, token, body)).body;
}

/** As api(), with the size of the response text (a receiver counting bytes need not serialize again). */
export async function apiSized(base: string, method: string, path: string, token?: string, body?: unknown): Promise<{ body: any; bytes: number }> {
  const res = await request(`${base}${path}`, {
    method: method as 'GET',
    dispatcher: agent,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await res.body.text();
  if (res.statusCode >= 400) throw new Error(`${method} ${path}: ${res.statusCode} ${text}`);
  return { body: text ? JSON.parse(text) : undefined, bytes: text.length };
}

export async function register(base: string, localpart: string): Promise<BenchUser> {
  const body = await api(base, 'POST', '/_matrix/client/v3/register', undefined, { username: localpart, password: 'bench-password-1', auth: { type: 'm.login.dummy' } });
  return { userId: body.user_id, token: body.access_token };
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export const round = (n: number, digits = 2): number => Math.round(n * 10 ** digits) / 10 ** digits;
