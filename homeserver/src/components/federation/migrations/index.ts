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
];
