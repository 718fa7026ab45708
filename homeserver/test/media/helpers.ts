import type { ExecutionContext } from 'ava';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import type { StartOptions } from '../../src/homeserver.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { createUser, USERS_TEST_ENV, type TestUser } from '../users/helpers.js';

export const MEDIA_V3 = '/_matrix/media/v3';
export const CLIENT_MEDIA = '/_matrix/client/v1/media';
export const ADMIN = '/_synapse/admin/v1';

export interface MediaTestServer extends TestServer {
  alice: TestUser;
  /** Raw fetch against the server (binary bodies, any headers). */
  raw(method: string, urlPath: string, init?: { token?: string | undefined; body?: NonNullable<RequestInit['body']>; headers?: Record<string, string> }): Promise<Response>;
  /** Uploads bytes as `user` (alice by default); answers the mxc URI's server name and media ID. */
  upload(bytes: Uint8Array, contentType?: string, filename?: string, user?: TestUser): Promise<{ serverName: string; mediaId: string; mxc: string }>;
  download(serverName: string, mediaId: string, user?: TestUser): Promise<Response>;
  /** Every file under the content store, relative to it. */
  storedFiles(): string[];
  mediaDir: string;
}

/** A server with one user (alice) and the upload rate limit out of the way unless `env` sets it. */
export async function startMediaServer(t: ExecutionContext, env: Record<string, string> = {}, options: StartOptions = {}): Promise<MediaTestServer> {
  const s = await startTestServer(t, { ...USERS_TEST_ENV, HS_RATE_LIMIT_MEDIA_UPLOAD_BURST: '10000', ...env }, options);
  const alice = await createUser(s, 'alice');
  const mediaDir = path.join(s.dataDir, 'media');
  const raw: MediaTestServer['raw'] = (method, urlPath, init = {}) =>
    fetch(`${s.url}${urlPath}`, {
      method,
      headers: { ...(init.token ? { Authorization: `Bearer ${init.token}` } : {}), ...(init.headers ?? {}) },
      body: init.body ?? null,
    });
  return {
    ...s,
    alice,
    raw,
    mediaDir,
    async upload(bytes, contentType = 'application/octet-stream', filename, user = alice) {
      const q = filename === undefined ? '' : `?filename=${encodeURIComponent(filename)}`;
      const res = await raw('POST', `${MEDIA_V3}/upload${q}`, { token: user.accessToken, body: bytes, headers: { 'Content-Type': contentType } });
      const body = (await res.json()) as { content_uri?: string };
      if (res.status !== 200 || !body.content_uri) throw new Error(`upload: ${res.status} ${JSON.stringify(body)}`);
      const m = /^mxc:\/\/([^/]+)\/(.+)$/.exec(body.content_uri)!;
      return { serverName: m[1]!, mediaId: m[2]!, mxc: body.content_uri };
    },
    download: (serverName, mediaId, user = alice) => raw('GET', `${CLIENT_MEDIA}/download/${serverName}/${mediaId}`, { token: user.accessToken }),
    storedFiles() {
      const root = path.join(mediaDir, 'content');
      const out: string[] = [];
      const walk = (dir: string): void => {
        let names: string[];
        try {
          names = readdirSync(dir);
        } catch {
          return;
        }
        for (const name of names) {
          const p = path.join(dir, name);
          if (statSync(p).isDirectory()) walk(p);
          else out.push(path.relative(root, p));
        }
      };
      walk(root);
      return out;
    },
  };
}

/** The file of stored content on disk, by its hash (the layout of the filesystem store). */
export function contentPath(mediaDir: string, sha256: string): string {
  return path.join(mediaDir, 'content', sha256.slice(0, 2), sha256.slice(2, 4), sha256);
}

export const bytesOf = async (res: Response): Promise<Buffer> => Buffer.from(await res.arrayBuffer());

/** A test picture with some structure (so crops and scales differ), in the given format. */
export async function makeImage(width: number, height: number, format: 'png' | 'jpeg' | 'webp' | 'gif'): Promise<Buffer> {
  const svg = Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
      `<rect width="100%" height="100%" fill="#2a6"/><circle cx="${width / 2}" cy="${height / 2}" r="${Math.min(width, height) / 3}" fill="#c33"/></svg>`,
  );
  return sharp(svg).toFormat(format).toBuffer();
}

/** An animated image of `frames` frames, each `width`×`height`. */
export async function makeAnimation(width: number, height: number, frames: number, format: 'gif' | 'webp'): Promise<Buffer> {
  const parts = await Promise.all(
    Array.from({ length: frames }, (_, i) =>
      sharp({ create: { width, height, channels: 4, background: { r: (i * 80) % 256, g: 40, b: 200, alpha: 1 } } }).png().toBuffer(),
    ),
  );
  const joined = sharp(parts, { join: { animated: true } });
  return format === 'gif' ? joined.gif({ loop: 0, delay: parts.map(() => 100) }).toBuffer() : joined.webp({ loop: 0, delay: parts.map(() => 100) }).toBuffer();
}
