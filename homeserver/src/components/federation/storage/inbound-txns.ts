import type { Knex } from 'knex';

const T = 'federation_inbound_transactions';

/** Answers to transactions already processed, by (origin, txnId), so retries are not processed again. */
export class InboundTxnStore {
  constructor(private readonly db: Knex) {}

  async response(origin: string, txnId: string): Promise<Record<string, unknown> | undefined> {
    const row = (await this.db(T).where({ origin, txn_id: txnId }).first('response_json')) as { response_json: string } | undefined;
    return row ? (JSON.parse(row.response_json) as Record<string, unknown>) : undefined;
  }

  async record(origin: string, txnId: string, response: Record<string, unknown>, now: number): Promise<void> {
    await this.db(T).insert({ origin, txn_id: txnId, response_json: JSON.stringify(response), received_ts: now }).onConflict(['origin', 'txn_id']).ignore();
  }

  /** Forgets transactions older than `before`: a sender retries for hours at most, not days. */
  async prune(before: number): Promise<number> {
    return this.db(T).where('received_ts', '<', before).delete();
  }
}
