import type { Migration } from '../../../db/migrations.js';

export const migrations: readonly Migration[] = [
  {
    // Verify keys of other servers, fetched directly or through a notary; kept until valid_until_ts
    // so signatures can be checked without asking again.
    name: 'federation/001_remote_server_keys',
    async up(db) {
      await db.schema.createTable('federation_remote_server_keys', (t) => {
        t.text('server_name').notNullable();
        t.text('key_id').notNullable();
        t.text('public_key').notNullable();
        t.bigInteger('valid_until_ts').notNullable();
        /** Set for keys the server lists in old_verify_keys. */
        t.bigInteger('expired_ts').nullable();
        t.bigInteger('fetched_at').notNullable();
        /** The server's signed key document, to serve again as a notary. */
        t.jsonb('key_json').notNullable();
        t.primary(['server_name', 'key_id']);
      });
    },
  },
  {
    // Keys this server signed with before a rotation, listed in old_verify_keys so that other
    // servers can still check our old events.
    name: 'federation/002_own_old_keys',
    async up(db) {
      await db.schema.createTable('federation_own_old_keys', (t) => {
        t.text('key_id').primary();
        t.text('public_key').notNullable();
        t.bigInteger('expired_ts').notNullable();
      });
    },
  },
  {
    // The durable outbound queue: what each destination still has to receive, the PDUs' JSON once
    // however many destinations wait for them, and each destination's retry state.
    name: 'federation/003_outbound_queue',
    async up(db) {
      await db.schema.createTable('federation_outbound_pdus', (t) => {
        t.text('event_id').primary();
        /** Kept as sent: the exact JSON the origin signed. */
        t.text('pdu_json').notNullable();
      });
      await db.schema.createTable('federation_outbound_queue', (t) => {
        t.bigIncrements('id').primary();
        t.text('destination').notNullable();
        /** 'pdu' or 'edu'. */
        t.text('kind').notNullable();
        t.text('event_id').nullable();
        /** For catch-up: only the newest PDU per room is sent after an outage. */
        t.text('room_id').nullable();
        t.text('edu_json').nullable();
        /** A newer EDU with the same key replaces a queued one (typing, presence of one user). */
        t.text('coalesce_key').nullable();
        /** Set once the item is part of a transaction; the same transaction is retried until acknowledged. */
        t.text('txn_id').nullable();
        t.bigInteger('queued_ts').notNullable();
        t.index(['destination', 'kind', 'id']);
        t.index(['destination', 'coalesce_key']);
        t.index(['event_id']);
      });
      await db.schema.createTable('federation_destinations', (t) => {
        t.text('destination').primary();
        t.integer('failures').notNullable().defaultTo(0);
        t.bigInteger('retry_at').notNullable().defaultTo(0);
        /** Set by a failure, cleared once the queue is empty again. */
        t.boolean('catching_up').notNullable().defaultTo(false);
        t.bigInteger('last_success_ts').nullable();
      });
      await db.schema.createTable('federation_outbound_position', (t) => {
        t.integer('id').primary();
        /** The highest event stream position whose PDUs are queued; the room layer replays after it. */
        t.bigInteger('position').notNullable();
      });
    },
  },
  {
    // Transactions received, with the answer given, so a retried transaction is not processed twice.
    name: 'federation/004_inbound_transactions',
    async up(db) {
      await db.schema.createTable('federation_inbound_transactions', (t) => {
        t.text('origin').notNullable();
        t.text('txn_id').notNullable();
        t.text('response_json').notNullable();
        t.bigInteger('received_ts').notNullable();
        t.primary(['origin', 'txn_id']);
        t.index(['received_ts']);
      });
    },
  },
];
