import type { Migration } from '../../../db/migrations.js';

/*
 * Key material is kept as the JSON text the client uploaded (never jsonb): it is echoed back to
 * other clients who check signatures over it, jsonb would refuse `\u0000` inside strings, and text
 * keeps it byte for byte.
 */
export const migrations: readonly Migration[] = [
  {
    name: 'keys/001_e2ee',
    async up(db) {
      // The highest position each stream may have handed out; a restart continues above it.
      await db.schema.createTable('keys_streams', (t) => {
        t.text('name').primary();
        t.bigInteger('ceiling').notNullable();
      });

      await db.schema.createTable('keys_device_keys', (t) => {
        t.text('user_id').notNullable();
        t.text('device_id').notNullable();
        t.text('key_json').notNullable();
        t.bigInteger('updated_ts').notNullable();
        t.primary(['user_id', 'device_id']);
      });

      await db.schema.createTable('keys_one_time', (t) => {
        t.text('user_id').notNullable();
        t.text('device_id').notNullable();
        t.text('algorithm').notNullable();
        t.text('key_id').notNullable();
        t.text('key_json').notNullable();
        /** Upload order: keys are claimed oldest first. */
        t.specificType('seq', 'bigserial');
        t.primary(['user_id', 'device_id', 'algorithm', 'key_id']);
        t.index(['user_id', 'device_id', 'algorithm', 'seq']);
      });

      await db.schema.createTable('keys_fallback', (t) => {
        t.text('user_id').notNullable();
        t.text('device_id').notNullable();
        t.text('algorithm').notNullable();
        t.text('key_id').notNullable();
        t.text('key_json').notNullable();
        t.boolean('used').notNullable().defaultTo(false);
        t.primary(['user_id', 'device_id', 'algorithm']);
      });

      await db.schema.createTable('keys_cross_signing', (t) => {
        t.text('user_id').notNullable();
        /** master, self_signing or user_signing. */
        t.text('usage').notNullable();
        t.text('public_key').notNullable();
        t.text('key_json').notNullable();
        t.bigInteger('updated_ts').notNullable();
        t.primary(['user_id', 'usage']);
      });

      // Signatures added after upload (/keys/signatures/upload); merged into keys when queried.
      await db.schema.createTable('keys_signatures', (t) => {
        t.text('target_user_id').notNullable();
        /** A device ID, or the public key of a master key. */
        t.text('target_key_id').notNullable();
        t.text('signer_user_id').notNullable();
        t.text('signer_key_id').notNullable();
        t.text('signature').notNullable();
        t.primary(['target_user_id', 'target_key_id', 'signer_user_id', 'signer_key_id']);
        t.index(['signer_user_id', 'signer_key_id']);
      });

      // The device-list stream: whose keys changed, and who joined or left which room.
      await db.schema.createTable('keys_device_list_changes', (t) => {
        t.bigInteger('stream_id').primary();
        t.text('user_id').notNullable();
        /** keys, join or leave. */
        t.text('kind').notNullable();
        /** The room of a join or leave. */
        t.text('room_id').nullable();
        /** Set when only this user may learn of the change (their user-signing signatures). */
        t.text('visible_to').nullable();
      });

      await db.schema.createTable('keys_to_device_inbox', (t) => {
        t.text('user_id').notNullable();
        t.text('device_id').notNullable();
        t.bigInteger('stream_id').notNullable();
        t.text('sender').notNullable();
        t.text('type').notNullable();
        t.text('content').notNullable();
        t.primary(['user_id', 'device_id', 'stream_id']);
      });

      // Messages waiting per device, so the cap is checked without counting rows.
      await db.schema.createTable('keys_to_device_pending', (t) => {
        t.text('user_id').notNullable();
        t.text('device_id').notNullable();
        t.integer('pending').notNullable();
        t.primary(['user_id', 'device_id']);
      });

      // A sync response that held only part of the waiting messages: what it delivered up to.
      await db.schema.createTable('keys_to_device_limits', (t) => {
        t.text('user_id').notNullable();
        t.text('device_id').notNullable();
        t.bigInteger('position').notNullable();
        t.bigInteger('upto').notNullable();
        t.primary(['user_id', 'device_id', 'position']);
      });

      await db.schema.createTable('keys_to_device_txns', (t) => {
        t.text('user_id').notNullable();
        t.text('device_id').notNullable();
        t.text('event_type').notNullable();
        t.text('txn_id').notNullable();
        t.bigInteger('created_ts').notNullable();
        t.primary(['user_id', 'device_id', 'event_type', 'txn_id']);
        t.index(['created_ts']);
      });

      await db.schema.createTable('keys_backup_versions', (t) => {
        t.text('user_id').notNullable();
        t.bigInteger('version').notNullable();
        t.text('algorithm').notNullable();
        t.text('auth_data').notNullable();
        t.bigInteger('etag').notNullable();
        t.bigInteger('count').notNullable();
        /** Deleted versions stay as tombstones so their numbers are never reused. */
        t.boolean('deleted').notNullable().defaultTo(false);
        t.primary(['user_id', 'version']);
      });

      await db.schema.createTable('keys_backup_sessions', (t) => {
        t.text('user_id').notNullable();
        t.bigInteger('version').notNullable();
        t.text('room_id').notNullable();
        t.text('session_id').notNullable();
        t.bigInteger('first_message_index').notNullable();
        t.bigInteger('forwarded_count').notNullable();
        t.boolean('is_verified').notNullable();
        t.text('session_data').notNullable();
        t.primary(['user_id', 'version', 'room_id', 'session_id']);
      });
    },
  },
  {
    name: 'keys/002_device_list_federation',
    async up(db) {
      // Per local user, the stream_id of the last m.device_list_update (server-server "Device
      // Management"): the next update names it in prev_id, /user/devices answers it.
      await db.schema.createTable('keys_device_list_versions', (t) => {
        t.text('user_id').primary();
        t.bigInteger('stream_id').notNullable();
      });
    },
  },
];
