import type { Knex } from '../../../db/database.js';

const T = 'media_items';

export interface MediaRow {
  server_name: string;
  media_id: string;
  user_id: string | null;
  content_type: string | null;
  upload_name: string | null;
  size: number | null;
  sha256: string | null;
  original_sha256: string | null;
  created_ts: number;
  expires_ts: number | null;
  last_access_ts: number | null;
  quarantined_by: string | null;
  safe_from_quarantine: boolean;
  url_cache: string | null;
}

export type NewMedia = Pick<MediaRow, 'server_name' | 'media_id' | 'created_ts'> & Partial<MediaRow>;

export interface MediaKey {
  serverName: string;
  mediaId: string;
}

const where = (k: MediaKey): Record<string, string> => ({ server_name: k.serverName, media_id: k.mediaId });

export async function getMedia(db: Knex, k: MediaKey): Promise<MediaRow | undefined> {
  return (await db(T).where(where(k)).first()) as MediaRow | undefined;
}

/** The row with a lock held until the transaction ends (the asynchronous upload's "only once"). */
export async function lockMedia(trx: Knex.Transaction, k: MediaKey): Promise<MediaRow | undefined> {
  return (await trx(T).where(where(k)).forUpdate().first()) as MediaRow | undefined;
}

export async function insertMedia(db: Knex, row: NewMedia): Promise<void> {
  await db(T).insert(row);
}

export async function updateMedia(db: Knex, k: MediaKey, fields: Partial<MediaRow>): Promise<void> {
  await db(T).where(where(k)).update(fields);
}

export async function deleteMediaRow(db: Knex, k: MediaKey): Promise<void> {
  await db(T).where(where(k)).delete();
}

/** Pending asynchronous uploads of a user that have not expired. */
export async function countPending(db: Knex, userId: string, now: number): Promise<number> {
  const row = (await db(T).where({ user_id: userId }).whereNull('sha256').where('expires_ts', '>', now).count({ n: '*' }).first()) as { n: number | string };
  return Number(row.n);
}

export async function deleteExpiredPending(db: Knex, now: number): Promise<number> {
  return db(T).whereNull('sha256').where('expires_ts', '<=', now).delete();
}

/** Records a download, at most once a minute per item so that popular media costs few writes. */
export async function touchAccess(db: Knex, k: MediaKey, now: number): Promise<void> {
  await db(T)
    .where(where(k))
    .where((q) => q.whereNull('last_access_ts').orWhere('last_access_ts', '<', now - 60_000))
    .update({ last_access_ts: now });
}

export const USER_MEDIA_ORDER = ['media_id', 'upload_name', 'created_ts', 'last_access_ts', 'media_length', 'media_type', 'quarantined_by', 'safe_from_quarantine'] as const;
export type UserMediaOrder = (typeof USER_MEDIA_ORDER)[number];
const ORDER_COLUMN: Record<UserMediaOrder, string> = {
  media_id: 'media_id',
  upload_name: 'upload_name',
  created_ts: 'created_ts',
  last_access_ts: 'last_access_ts',
  media_length: 'size',
  media_type: 'content_type',
  quarantined_by: 'quarantined_by',
  safe_from_quarantine: 'safe_from_quarantine',
};

export async function listUserMedia(
  db: Knex,
  serverName: string,
  userId: string,
  opts: { from: number; limit: number; orderBy: UserMediaOrder; direction: 'asc' | 'desc' },
): Promise<{ rows: MediaRow[]; total: number }> {
  const base = db(T).where({ server_name: serverName, user_id: userId });
  const total = Number(((await base.clone().count({ n: '*' }).first()) as { n: number | string }).n);
  // Ties are broken by media_id ascending, as Synapse documents, so pages are stable.
  const rows = (await base
    .clone()
    .orderByRaw(`?? ${opts.direction} nulls ${opts.direction === 'asc' ? 'first' : 'last'}`, [ORDER_COLUMN[opts.orderBy]])
    .orderBy('media_id', 'asc')
    .offset(opts.from)
    .limit(opts.limit)) as MediaRow[];
  return { rows, total };
}

/** Local media neither created nor used since `beforeTs`, larger than `sizeGt`, not protected. */
export async function staleLocalMedia(db: Knex, serverName: string, beforeTs: number, sizeGt: number): Promise<MediaRow[]> {
  return (await db(T)
    .where({ server_name: serverName, safe_from_quarantine: false })
    .where('created_ts', '<', beforeTs)
    .where((q) => q.whereNull('last_access_ts').orWhere('last_access_ts', '<', beforeTs))
    .where((q) => q.where('size', '>', sizeGt).orWhereNull('size'))
    .whereNotNull('sha256')) as MediaRow[];
}

/** Cached remote media last used (or, never used, cached) before `beforeTs`. */
export async function staleRemoteMedia(db: Knex, localServer: string, beforeTs: number): Promise<MediaKey[]> {
  const rows = (await db(T)
    .whereNot({ server_name: localServer })
    .where((q) => q.where('last_access_ts', '<', beforeTs).orWhere((q2) => q2.whereNull('last_access_ts').where('created_ts', '<', beforeTs)))
    .select('server_name', 'media_id')) as Array<{ server_name: string; media_id: string }>;
  return rows.map((r) => ({ serverName: r.server_name, mediaId: r.media_id }));
}

type MediaFilter = { keys?: MediaKey[]; sha256s?: string[]; userId?: string; serverName?: string };

function isEmpty(f: MediaFilter): boolean {
  return (f.keys?.length ?? 0) === 0 && (f.sha256s?.length ?? 0) === 0 && f.userId === undefined;
}

/** Rows matching any of the filter's parts; callers check isEmpty first (an empty group matches all). */
function matching(q: Knex.QueryBuilder, f: MediaFilter): Knex.QueryBuilder {
  return q.where((w) => {
    for (const k of f.keys ?? []) w.orWhere(where(k));
    if (f.sha256s && f.sha256s.length > 0) w.orWhereIn('sha256', f.sha256s);
    if (f.userId !== undefined) w.orWhere({ user_id: f.userId, server_name: f.serverName });
  });
}

/** Marks media quarantined (by = admin) or releases it (by = null); protected media is left alone. */
export async function setQuarantine(db: Knex, filter: MediaFilter, by: string | null): Promise<number> {
  if (isEmpty(filter)) return 0;
  const q = matching(db(T), filter);
  if (by !== null) q.where({ safe_from_quarantine: false });
  return q.update({ quarantined_by: by });
}

export async function setProtected(db: Knex, serverName: string, mediaId: string, safe: boolean): Promise<number> {
  return db(T).where({ server_name: serverName, media_id: mediaId }).update({ safe_from_quarantine: safe });
}

/** The distinct content hashes of the matching media. */
export async function hashesOf(db: Knex, filter: MediaFilter): Promise<string[]> {
  if (isEmpty(filter)) return [];
  const rows = (await matching(db(T), filter).whereNotNull('sha256').distinct('sha256')) as Array<{ sha256: string }>;
  return rows.map((r) => r.sha256);
}
