import type { Knex } from '../../../db/database.js';

const T = 'media_content';

/**
 * Takes a reference on stored bytes, creating their row on first use. Runs inside the
 * transaction that also moves the file into the store: the row lock it takes keeps a
 * concurrent release of the same bytes from deleting the file in between.
 * Answers the quarantine mark the bytes carry.
 */
export async function acquireContent(trx: Knex.Transaction, sha256: string, size: number, now: number): Promise<{ quarantinedBy: string | null }> {
  const rows = (await trx(T)
    .insert({ sha256, size, refs: 1, created_ts: now })
    .onConflict('sha256')
    .merge({ refs: trx.raw('?? + 1', [`${T}.refs`]) })
    .returning(['quarantined_by'])) as Array<{ quarantined_by: string | null }>;
  return { quarantinedBy: rows[0]?.quarantined_by ?? null };
}

/**
 * Drops one reference; when it was the last, the row goes and true is answered: the caller
 * deletes the file in the same transaction, still holding the row lock.
 */
export async function releaseContent(trx: Knex.Transaction, sha256: string): Promise<boolean> {
  const rows = (await trx(T).where({ sha256 }).decrement('refs', 1).returning(['refs'])) as Array<{ refs: number }>;
  const refs = rows[0]?.refs;
  if (refs === undefined || refs > 0) return false;
  await trx(T).where({ sha256 }).delete();
  return true;
}

export async function setContentQuarantine(db: Knex, sha256s: readonly string[], by: string | null): Promise<void> {
  if (sha256s.length === 0) return;
  await db(T).whereIn('sha256', sha256s as string[]).update({ quarantined_by: by });
}

export async function countContent(db: Knex): Promise<number> {
  const row = (await db(T).count({ n: '*' }).first()) as { n: number | string };
  return Number(row.n);
}
