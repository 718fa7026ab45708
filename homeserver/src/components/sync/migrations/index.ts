import type { Migration } from '../../../db/migrations.js';

export const migrations: readonly Migration[] = [
  {
    name: 'sync/001_receipts_presence',
    async up(db) {
      // The latest receipt of each user, type and thread in a room; stream_id orders changes.
      await db.schema.createTable('receipts', (t) => {
        t.text('room_id').notNullable();
        t.text('receipt_type').notNullable();
        t.text('user_id').notNullable();
        /** '' for an unthreaded receipt. */
        t.text('thread_id').notNullable();
        t.text('event_id').notNullable();
        /** Stream position of the event the receipt points at, for unread counts. */
        t.bigInteger('event_stream_ordering').notNullable();
        t.bigInteger('ts').notNullable();
        t.bigInteger('stream_id').notNullable();
        t.primary(['room_id', 'receipt_type', 'user_id', 'thread_id']);
        t.index(['stream_id']);
        t.index(['user_id', 'room_id']);
      });
      await db.schema.createTable('presence', (t) => {
        t.text('user_id').primary();
        t.text('state').notNullable();
        t.text('status_msg').nullable();
        t.bigInteger('last_active_ts').notNullable();
        t.bigInteger('stream_id').notNullable();
        t.index(['stream_id']);
      });
    },
  },
  {
    name: 'sync/002_push_rules',
    async up(db) {
      // One row per user who changed their push rules: their own rules in priority order and
      // their changes to the server-default rules, as JSON (see push-rules.ts).
      await db.schema.createTable('push_rules', (t) => {
        t.text('user_id').primary();
        t.jsonb('rules').notNullable();
      });
    },
  },
];
