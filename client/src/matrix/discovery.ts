import { ConnectionError } from './errors';
import type { FetchLike } from './http';

/** The server part of a user ID (`@alice:example.org` → `example.org`), or undefined. */
export function serverOfUserId(userId: string): string | undefined {
  const m = /^@[^:]+:(.+)$/.exec(userId.trim());
  return m?.[1];
}

export function normaliseBaseUrl(input: string): string {
  let s = input.trim();
  if (!/^https?:\/\//i.test(s)) s = `${/^(localhost|127\.|\[::1\])/i.test(s) ? 'http' : 'https'}://${s}`;
  return s.replace(/\/+$/, '');
}

/**
 * Finds a user's homeserver from the server name in their ID: `/.well-known/matrix/client` when
 * it answers, else the server name itself. Checks the result really speaks Matrix.
 */
export async function discoverHomeserver(serverName: string, fetchImpl: FetchLike = (i, init) => fetch(i, init)): Promise<string> {
  let base = normaliseBaseUrl(serverName);
  try {
    const res = await fetchImpl(`${base}/.well-known/matrix/client`);
    if (res.ok) {
      const doc = (await res.json()) as { 'm.homeserver'?: { base_url?: unknown } };
      const url = doc['m.homeserver']?.base_url;
      if (typeof url === 'string' && url) base = normaliseBaseUrl(url);
    }
  } catch {
    // No well-known document (or no CORS on it): the server name itself is the best guess.
  }
  let versions: Response;
  try {
    versions = await fetchImpl(`${base}/_matrix/client/versions`);
  } catch (err) {
    throw new ConnectionError(`No Matrix server answers at ${base}`, { cause: err });
  }
  if (!versions.ok) throw new ConnectionError(`${base} is not a Matrix server`);
  return base;
}
