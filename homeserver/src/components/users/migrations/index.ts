import type { Migration } from '../../../db/migrations.js';

export const migrations: readonly Migration[] = [
  {
    name: 'users/001_accounts',
    async up(db) {
      await db.schema.createTable('users_accounts', (t) => {
        t.text('user_id').primary();
        /** Null for accounts that cannot log in with a password (JWT-only, deactivated). */
        t.text('password_hash').nullable();
        t.boolean('is_admin').notNullable().defaultTo(false);
        t.boolean('deactivated').notNullable().defaultTo(false);
        t.boolean('erased').notNullable().defaultTo(false);
        t.boolean('locked').notNullable().defaultTo(false);
        /** null, 'bot' or 'support', as Synapse's admin API has them. */
        t.text('user_type').nullable();
        t.bigInteger('created_ts').notNullable();
        t.index(['created_ts']);
      });

      await db.schema.createTable('users_devices', (t) => {
        t.text('user_id').notNullable();
        t.text('device_id').notNullable();
        t.text('display_name').nullable();
        t.bigInteger('created_ts').notNullable();
        t.bigInteger('last_seen_ts').nullable();
        t.text('last_seen_ip').nullable();
        t.text('last_seen_user_agent').nullable();
        t.primary(['user_id', 'device_id']);
      });

      // Tokens are stored as SHA-256 hex digests only: a copy of the database grants no sessions.
      await db.schema.createTable('users_refresh_tokens', (t) => {
        t.bigIncrements('id');
        t.text('token_hash').notNullable().unique();
        t.text('user_id').notNullable();
        t.text('device_id').notNullable();
        t.bigInteger('created_ts').notNullable();
        /** The refresh token issued when this one was used; this one dies once that one is used. */
        t.bigInteger('replaced_by').nullable();
        t.index(['user_id', 'device_id']);
        t.index(['replaced_by']);
      });

      await db.schema.createTable('users_access_tokens', (t) => {
        t.bigIncrements('id');
        t.text('token_hash').notNullable().unique();
        t.text('user_id').notNullable();
        t.text('device_id').notNullable();
        t.bigInteger('created_ts').notNullable();
        /** Null: never expires (clients without refresh-token support). */
        t.bigInteger('expires_ts').nullable();
        /** The refresh token issued with this access token, if any. */
        t.bigInteger('refresh_token_id').nullable();
        /** First use retires the refresh token that this pair replaced. */
        t.boolean('used').notNullable().defaultTo(false);
        t.index(['user_id', 'device_id']);
        t.index(['refresh_token_id']);
      });

      await db.schema.createTable('users_profiles', (t) => {
        t.text('user_id').notNullable();
        /** displayname, avatar_url, m.tz or a custom namespaced field. */
        t.text('field').notNullable();
        t.jsonb('value');
        t.primary(['user_id', 'field']);
      });

      // One row per (user, room, type); room_id '' for global account data. Every write takes a
      // new stream_id from the sequence, so "changed since N" is a range scan for sync.
      await db.schema.createTable('users_account_data', (t) => {
        t.bigIncrements('stream_id');
        t.text('user_id').notNullable();
        t.text('room_id').notNullable().defaultTo('');
        t.text('type').notNullable();
        /** Null after a deletion, so sync can tell clients the item is gone. */
        t.jsonb('content').nullable();
        t.unique(['user_id', 'room_id', 'type']);
        t.index(['user_id', 'stream_id']);
      });

      await db.schema.createTable('users_filters', (t) => {
        t.bigIncrements('filter_id');
        t.text('user_id').notNullable();
        t.jsonb('filter').notNullable();
        t.index(['user_id']);
      });

      await db.schema.createTable('users_registration_tokens', (t) => {
        t.text('token').primary();
        t.integer('uses_allowed').nullable();
        t.integer('pending').notNullable().defaultTo(0);
        t.integer('completed').notNullable().defaultTo(0);
        t.bigInteger('expiry_time').nullable();
        /** The first-run token: whoever registers with it becomes an admin. */
        t.boolean('grants_admin').notNullable().defaultTo(false);
      });

      // User-interactive authentication sessions live in the database so that any process can
      // continue a flow another one started.
      await db.schema.createTable('users_uia_sessions', (t) => {
        t.text('session_id').primary();
        /** The operation the session authorises, e.g. 'register' or 'delete_devices'. */
        t.text('operation').notNullable();
        /** The user who must authenticate; null while registering. */
        t.text('user_id').nullable();
        t.jsonb('completed').notNullable();
        /** The registration token whose `pending` count this session holds. */
        t.text('registration_token').nullable();
        t.bigInteger('created_ts').notNullable();
        t.index(['created_ts']);
      });
    },
  },
  {
    name: 'users/002_openid_tokens',
    async up(db) {
      // Short-lived tokens a user hands to a third party (an integration manager, a widget) to
      // prove who they are; the third party checks them through federation's openid/userinfo.
      await db.schema.createTable('users_openid_tokens', (t) => {
        t.text('token_hash').primary();
        t.text('user_id').notNullable();
        t.bigInteger('expires_ts').notNullable();
        t.index(['expires_ts']);
      });
    },
  },
];
