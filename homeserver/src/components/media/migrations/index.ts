import type { Migration } from '../../../db/migrations.js';

export const migrations: readonly Migration[] = [
  {
    name: 'media/001_media',
    async up(db) {
      // One row per distinct stored file, by the SHA-256 of its bytes. `refs` counts the media
      // items (and kept originals) pointing at it: the file is deleted when it drops to zero, so
      // deleting one of two identical uploads leaves the other intact.
      await db.schema.createTable('media_content', (t) => {
        t.text('sha256').primary();
        t.bigInteger('size').notNullable();
        t.integer('refs').notNullable();
        /** Set when any media with these bytes was quarantined: later uploads of them are too. */
        t.text('quarantined_by').nullable();
        t.bigInteger('created_ts').notNullable();
      });

      // Local uploads and cached remote media alike, keyed by their mxc:// URI.
      await db.schema.createTable('media_items', (t) => {
        t.text('server_name').notNullable();
        t.text('media_id').notNullable();
        /** The uploader; null for cached remote media. */
        t.text('user_id').nullable();
        t.text('content_type').nullable();
        t.text('upload_name').nullable();
        t.bigInteger('size').nullable();
        /** Null while an asynchronous upload (POST /create) is still waiting for its bytes. */
        t.text('sha256').nullable();
        /** The bytes as uploaded, when they were re-encoded and the server keeps originals. */
        t.text('original_sha256').nullable();
        /** Creation for local media; the time the cache was filled for remote media. */
        t.bigInteger('created_ts').notNullable();
        /** When a pending asynchronous upload expires. */
        t.bigInteger('expires_ts').nullable();
        t.bigInteger('last_access_ts').nullable();
        t.text('quarantined_by').nullable();
        t.boolean('safe_from_quarantine').notNullable().defaultTo(false);
        /** The page URL, for images stored by URL previews. */
        t.text('url_cache').nullable();
        t.primary(['server_name', 'media_id']);
        t.index(['user_id', 'created_ts']);
        t.index(['sha256']);
        t.index(['created_ts']);
        t.index(['server_name', 'last_access_ts']);
      });

      // Thumbnails belong to content, not to media items: identical uploads share them, and they
      // go when the content goes.
      await db.schema.createTable('media_thumbnails', (t) => {
        t.text('sha256').notNullable();
        /** The configured size and method this thumbnail answers. */
        t.integer('width').notNullable();
        t.integer('height').notNullable();
        t.text('method').notNullable();
        t.boolean('animated').notNullable();
        t.integer('actual_width').notNullable();
        t.integer('actual_height').notNullable();
        t.text('content_type').notNullable();
        t.bigInteger('size').notNullable();
        t.primary(['sha256', 'width', 'height', 'method', 'animated']);
      });

      await db.schema.createTable('media_url_previews', (t) => {
        t.text('url').primary();
        t.jsonb('og').notNullable();
        t.bigInteger('fetched_ts').notNullable();
        t.bigInteger('expires_ts').notNullable();
        t.index(['expires_ts']);
      });
    },
  },
];
