import type { Knex } from '../../../db/database.js';

const T = 'media_url_previews';

export type OpenGraph = Record<string, string | number>;

export async function getPreview(db: Knex, url: string, now: number): Promise<OpenGraph | undefined> {
  const row = (await db(T).where({ url }).where('expires_ts', '>', now).first()) as { og: OpenGraph } | undefined;
  return row?.og;
}

export async function putPreview(db: Knex, url: string, og: OpenGraph, now: number, ttlMs: number): Promise<void> {
  await db(T)
    .insert({ url, og: JSON.stringify(og), fetched_ts: now, expires_ts: now + ttlMs })
    .onConflict('url')
    .merge(['og', 'fetched_ts', 'expires_ts']);
}

export async function deleteExpiredPreviews(db: Knex, now: number): Promise<number> {
  return db(T).where('expires_ts', '<=', now).delete();
}
