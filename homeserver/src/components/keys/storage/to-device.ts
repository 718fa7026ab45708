import type { Knex } from '../../../db/database.js';

const INBOX = 'keys_to_device_inbox';
const PENDING = 'keys_to_device_pending';
const LIMITS = 'keys_to_device_limits';
const TXNS = 'keys_to_device_txns';

export interface InboxMessage {
  userId: string;
  deviceId: string;
  streamId: number;
  sender: string;
  type: string;
  /** JSON text of the content. */
  content: string;
}

export interface DeliveredMessage {
  streamId: number;
  sender: string;
  type: string;
  content: string;
}

function rowsOf(res: unknown): Array<Record<string, unknown>> {
  return (res as { rows: Array<Record<string, unknown>> }).rows;
}

/** Records a sender's transaction; false when it was already done (a retried request). */
export async function claimTxn(db: Knex, userId: string, deviceId: string, eventType: string, txnId: string, now: number): Promise<boolean> {
  const rows = (await db(TXNS)
    .insert({ user_id: userId, device_id: deviceId, event_type: eventType, txn_id: txnId, created_ts: now })
    .onConflict(['user_id', 'device_id', 'event_type', 'txn_id'])
    .ignore()
    .returning('txn_id')) as unknown[];
  return rows.length === 1;
}

export async function deleteTxnsBefore(db: Knex, before: number): Promise<void> {
  await db(TXNS).where('created_ts', '<', before).delete();
}

/**
 * Queues messages, then drops the oldest of any device that now holds more than `cap`: a device
 * nobody uses any more must not grow the table without end, while a live one drains long before.
 */
export async function insertMessages(db: Knex, messages: readonly InboxMessage[], cap: number): Promise<void> {
  if (messages.length === 0) return;
  for (let i = 0; i < messages.length; i += 1000) {
    await db(INBOX).insert(
      messages.slice(i, i + 1000).map((m) => ({ user_id: m.userId, device_id: m.deviceId, stream_id: m.streamId, sender: m.sender, type: m.type, content: m.content })),
    );
  }
  const perDevice = new Map<string, { userId: string; deviceId: string; n: number }>();
  for (const m of messages) {
    const k = `${m.userId}\u0000${m.deviceId}`;
    const e = perDevice.get(k);
    if (e) e.n++;
    else perDevice.set(k, { userId: m.userId, deviceId: m.deviceId, n: 1 });
  }
  const devices = [...perDevice.values()];
  const values = devices.map(() => '(?, ?, ?::int)').join(', ');
  const res = await db.raw(
    `INSERT INTO ${PENDING} AS p (user_id, device_id, pending) VALUES ${values}
     ON CONFLICT (user_id, device_id) DO UPDATE SET pending = p.pending + excluded.pending
     RETURNING user_id, device_id, pending`,
    devices.flatMap((d) => [d.userId, d.deviceId, d.n]),
  );
  for (const r of rowsOf(res)) {
    const excess = Number(r.pending) - cap;
    if (excess > 0) await dropOldest(db, String(r.user_id), String(r.device_id), excess);
  }
}

async function dropOldest(db: Knex, userId: string, deviceId: string, count: number): Promise<void> {
  await db.raw(
    `WITH del AS (
       DELETE FROM ${INBOX} WHERE user_id = ? AND device_id = ? AND stream_id IN (
         SELECT stream_id FROM ${INBOX} WHERE user_id = ? AND device_id = ? ORDER BY stream_id LIMIT ?)
       RETURNING 1)
     UPDATE ${PENDING} SET pending = GREATEST(0, pending - (SELECT count(*) FROM del)) WHERE user_id = ? AND device_id = ?`,
    [userId, deviceId, userId, deviceId, count, userId, deviceId],
  );
}

/**
 * The device's messages after its client's position `since`, up to `to`, oldest first, at most
 * `limit`. When the response that produced `since` held only part of what was waiting, the rest
 * lies at or below `since`; its recorded limit says where delivery stopped.
 */
export async function messagesFor(db: Knex, userId: string, deviceId: string, since: number | undefined, to: number, limit: number): Promise<DeliveredMessage[]> {
  const res = await db.raw(
    `SELECT stream_id, sender, type, content FROM ${INBOX}
     WHERE user_id = ? AND device_id = ? AND stream_id <= ?
       AND stream_id > COALESCE((SELECT upto FROM ${LIMITS} WHERE user_id = ? AND device_id = ? AND position = ?), ?)
     ORDER BY stream_id LIMIT ?`,
    [userId, deviceId, to, userId, deviceId, since ?? -1, since ?? 0, limit],
  );
  return rowsOf(res).map((r) => ({ streamId: Number(r.stream_id), sender: String(r.sender), type: String(r.type), content: String(r.content) }));
}

/**
 * Remembers that the response at `position` delivered only up to `upto`. Two responses at one
 * position keep the lower mark, so a message may come twice but is never skipped.
 */
export async function recordLimit(db: Knex, userId: string, deviceId: string, position: number, upto: number): Promise<void> {
  await db.raw(
    `INSERT INTO ${LIMITS} AS l (user_id, device_id, position, upto) VALUES (?, ?, ?, ?)
     ON CONFLICT (user_id, device_id, position) DO UPDATE SET upto = LEAST(l.upto, excluded.upto)`,
    [userId, deviceId, position, upto],
  );
}

/**
 * The client synced with a token at `position`: everything the response at that position
 * delivered is acknowledged and deleted (all up to `position`, unless that response was limited).
 * Limits of older responses are done with. One statement, writing nothing when nothing waits;
 * answers how many messages still wait for the device.
 */
export async function acknowledge(db: Knex, userId: string, deviceId: string, position: number): Promise<number> {
  const res = await db.raw(
    `WITH lim AS (
       SELECT upto FROM ${LIMITS} WHERE user_id = ? AND device_id = ? AND position = ?
     ), old AS (
       DELETE FROM ${LIMITS} WHERE user_id = ? AND device_id = ? AND position < ?
     ), del AS (
       DELETE FROM ${INBOX} WHERE user_id = ? AND device_id = ? AND stream_id <= COALESCE((SELECT upto FROM lim), ?) RETURNING 1
     ), upd AS (
       UPDATE ${PENDING} SET pending = GREATEST(0, pending - (SELECT count(*) FROM del))
       WHERE user_id = ? AND device_id = ? AND EXISTS (SELECT 1 FROM del)
       RETURNING pending
     )
     SELECT COALESCE((SELECT pending FROM upd), (SELECT pending FROM ${PENDING} WHERE user_id = ? AND device_id = ?), 0) AS remaining`,
    [userId, deviceId, position, userId, deviceId, position, userId, deviceId, position, userId, deviceId, userId, deviceId],
  );
  return Number(rowsOf(res)[0]?.remaining ?? 0);
}

export async function deleteForDevices(db: Knex, userId: string, deviceIds: readonly string[]): Promise<void> {
  if (deviceIds.length === 0) return;
  for (const table of [INBOX, PENDING, LIMITS, TXNS]) {
    await db(table).where({ user_id: userId }).whereIn('device_id', [...deviceIds]).delete();
  }
}

/** Messages waiting for a device (tests and metrics). */
export async function pendingCount(db: Knex, userId: string, deviceId: string): Promise<number> {
  const r = (await db(INBOX).where({ user_id: userId, device_id: deviceId }).count({ n: '*' }).first()) as { n: string | number } | undefined;
  return Number(r?.n ?? 0);
}
