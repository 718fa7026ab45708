import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import type { JsonObject } from '../../../core/json.js';

const QUEUE = 'federation_outbound_queue';
const PDUS = 'federation_outbound_pdus';
const DESTINATIONS = 'federation_destinations';
const POSITION = 'federation_outbound_position';

/** Most PDUs and EDUs one transaction may carry (server-server "Transactions"). */
export const MAX_TXN_PDUS = 50;
export const MAX_TXN_EDUS = 100;
const INSERT_CHUNK = 1000;

export interface OutboundTxn {
  txnId: string;
  pdus: JsonObject[];
  edus: JsonObject[];
}

export interface DestinationState {
  failures: number;
  retryAt: number;
  catchingUp: boolean;
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** The outbound queue's tables. Items leave the queue only when their transaction was acknowledged. */
export class OutboundStore {
  constructor(
    private readonly db: Knex,
    private readonly now: () => number = Date.now,
  ) {}

  async enqueuePdu(eventId: string, roomId: string | null, pduJson: string, destinations: readonly string[], position: number | undefined): Promise<void> {
    const queuedTs = this.now();
    await this.db.transaction(async (trx) => {
      if (destinations.length > 0) await trx(PDUS).insert({ event_id: eventId, pdu_json: pduJson }).onConflict('event_id').ignore();
      for (const part of chunks(destinations, INSERT_CHUNK)) {
        await trx(QUEUE).insert(part.map((destination) => ({ destination, kind: 'pdu', event_id: eventId, room_id: roomId, queued_ts: queuedTs })));
      }
      if (position !== undefined) {
        await trx(POSITION).insert({ id: 1, position }).onConflict('id').merge().where(`${POSITION}.position`, '<', position);
      }
    });
  }

  async enqueueEdu(eduJson: string, destinations: readonly string[], coalesceKey: string | undefined): Promise<void> {
    const queuedTs = this.now();
    await this.db.transaction(async (trx) => {
      for (const part of chunks(destinations, INSERT_CHUNK)) {
        if (coalesceKey !== undefined) {
          await trx(QUEUE).whereIn('destination', part).andWhere({ coalesce_key: coalesceKey }).whereNull('txn_id').delete();
        }
        await trx(QUEUE).insert(part.map((destination) => ({ destination, kind: 'edu', edu_json: eduJson, coalesce_key: coalesceKey ?? null, queued_ts: queuedTs })));
      }
    });
  }

  async lastPosition(): Promise<number | undefined> {
    const row = (await this.db(POSITION).where({ id: 1 }).first('position')) as { position: number } | undefined;
    return row ? Number(row.position) : undefined;
  }

  async destinationsWithItems(): Promise<string[]> {
    const rows = (await this.db(QUEUE).distinct('destination')) as Array<{ destination: string }>;
    return rows.map((r) => r.destination);
  }

  async depthByDestination(): Promise<Map<string, number>> {
    const rows = (await this.db(QUEUE).select('destination').count({ n: '*' }).groupBy('destination')) as Array<{ destination: string; n: number | string }>;
    return new Map(rows.map((r) => [r.destination, Number(r.n)]));
  }

  async state(destination: string): Promise<DestinationState> {
    const row = (await this.db(DESTINATIONS).where({ destination }).first('failures', 'retry_at', 'catching_up')) as
      | { failures: number; retry_at: number; catching_up: boolean }
      | undefined;
    return row ? { failures: row.failures, retryAt: Number(row.retry_at), catchingUp: Boolean(row.catching_up) } : { failures: 0, retryAt: 0, catchingUp: false };
  }

  async saveState(destination: string, state: DestinationState, succeeded = false): Promise<void> {
    const row = { destination, failures: state.failures, retry_at: state.retryAt, catching_up: state.catchingUp, ...(succeeded ? { last_success_ts: this.now() } : {}) };
    await this.db(DESTINATIONS).insert(row).onConflict('destination').merge();
  }

  /**
   * The transaction to send next: the one already built and not yet acknowledged (it is sent again
   * with the same ID, so a peer that processed it answers from its record instead of processing it
   * twice), else a new one from the oldest items. When catching up after an outage, only the newest
   * queued PDU of each room is kept first: the peer fetches what lies between with
   * /get_missing_events. Undefined when nothing is queued.
   */
  async nextTxn(destination: string, catchingUp: boolean): Promise<OutboundTxn | undefined> {
    const rows = await this.db.transaction(async (trx) => {
      const pending = (await trx(QUEUE).where({ destination }).whereNotNull('txn_id').orderBy('id').select('id', 'kind', 'event_id', 'edu_json', 'txn_id')) as QueueRow[];
      if (pending.length > 0) return pending;
      if (catchingUp) await this.compact(trx, destination);
      const pdus = (await trx(QUEUE).where({ destination, kind: 'pdu' }).whereNull('txn_id').orderBy('id').limit(MAX_TXN_PDUS).select('id', 'kind', 'event_id', 'edu_json', 'txn_id')) as QueueRow[];
      const edus = (await trx(QUEUE).where({ destination, kind: 'edu' }).whereNull('txn_id').orderBy('id').limit(MAX_TXN_EDUS).select('id', 'kind', 'event_id', 'edu_json', 'txn_id')) as QueueRow[];
      const picked = [...pdus, ...edus];
      if (picked.length === 0) return [];
      const txnId = `${this.now().toString(36)}.${randomBytes(6).toString('base64url')}`;
      for (const part of chunks(picked.map((r) => r.id), INSERT_CHUNK)) await trx(QUEUE).whereIn('id', part).update({ txn_id: txnId });
      return picked.map((r) => ({ ...r, txn_id: txnId }));
    });
    if (rows.length === 0) return undefined;
    const eventIds = rows.filter((r) => r.kind === 'pdu' && r.event_id !== null).map((r) => r.event_id!);
    const pduRows = eventIds.length === 0 ? [] : ((await this.db(PDUS).whereIn('event_id', eventIds).select('event_id', 'pdu_json')) as Array<{ event_id: string; pdu_json: string }>);
    const pduById = new Map(pduRows.map((r) => [r.event_id, JSON.parse(r.pdu_json) as JsonObject]));
    return {
      txnId: rows[0]!.txn_id!,
      pdus: eventIds.map((id) => pduById.get(id)).filter((p): p is JsonObject => p !== undefined),
      edus: rows.filter((r) => r.kind === 'edu' && r.edu_json !== null).map((r) => JSON.parse(r.edu_json!) as JsonObject),
    };
  }

  /** Removes an acknowledged (or definitely refused) transaction's items; answers how many left. */
  async finishTxn(destination: string, txnId: string): Promise<number> {
    return this.db.transaction(async (trx) => {
      const removed = (await trx(QUEUE).where({ destination, txn_id: txnId }).delete().returning('event_id')) as Array<{ event_id: string | null }>;
      await this.dropOrphanPdus(trx, removed.map((r) => r.event_id));
      return removed.length;
    });
  }

  /** Keeps, per room, only the newest queued PDU not yet in a transaction. */
  private async compact(trx: Knex.Transaction, destination: string): Promise<void> {
    const removed = (await trx(QUEUE)
      .where({ destination, kind: 'pdu' })
      .whereNull('txn_id')
      .whereNotNull('room_id')
      .whereRaw(
        `id < (select max(q2.id) from ${QUEUE} q2 where q2.destination = ${QUEUE}.destination and q2.kind = 'pdu' and q2.txn_id is null and q2.room_id = ${QUEUE}.room_id)`,
      )
      .delete()
      .returning('event_id')) as Array<{ event_id: string | null }>;
    await this.dropOrphanPdus(trx, removed.map((r) => r.event_id));
  }

  private async dropOrphanPdus(trx: Knex.Transaction, eventIds: ReadonlyArray<string | null>): Promise<void> {
    const ids = [...new Set(eventIds.filter((id): id is string => id !== null))];
    for (const part of chunks(ids, INSERT_CHUNK)) {
      await trx(PDUS)
        .whereIn('event_id', part)
        .whereNotExists(trx(QUEUE).select(trx.raw('1')).whereRaw(`${QUEUE}.event_id = ${PDUS}.event_id`))
        .delete();
    }
  }
}

interface QueueRow {
  id: number;
  kind: 'pdu' | 'edu';
  event_id: string | null;
  edu_json: string | null;
  txn_id: string | null;
}
