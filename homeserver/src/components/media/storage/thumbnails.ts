import type { Knex } from '../../../db/database.js';

const T = 'media_thumbnails';

export interface ThumbnailRow {
  sha256: string;
  width: number;
  height: number;
  method: string;
  animated: boolean;
  actual_width: number;
  actual_height: number;
  content_type: string;
  size: number;
}

export type ThumbnailSpecKey = Pick<ThumbnailRow, 'sha256' | 'width' | 'height' | 'method' | 'animated'>;

export async function getThumbnail(db: Knex, k: ThumbnailSpecKey): Promise<ThumbnailRow | undefined> {
  return (await db(T).where(k).first()) as ThumbnailRow | undefined;
}

export async function insertThumbnail(db: Knex, row: ThumbnailRow): Promise<void> {
  await db(T).insert(row).onConflict(['sha256', 'width', 'height', 'method', 'animated']).ignore();
}

export async function deleteThumbnailsOf(db: Knex, sha256: string): Promise<void> {
  await db(T).where({ sha256 }).delete();
}
