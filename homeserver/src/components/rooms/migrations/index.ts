import type { Migration } from '../../../db/migrations.js';

export const migrations: readonly Migration[] = [
  {
    name: 'rooms/001_event_graph',
    async up(db) {
      await db.schema.createTable('rooms', (t) => {
        t.text('room_id').primary();
        t.text('room_version').notNullable();
        t.text('creator').nullable();
        /** Listed in this server's published room directory. */
        t.boolean('is_public').notNullable().defaultTo(false);
        t.bigInteger('created_ts').notNullable();
        /** The state group holding the room's current (resolved) state. */
        t.bigInteger('current_state_group').nullable();
      });
      // Every event this server holds. stream_ordering is the order we persisted them in (what sync
      // follows); depth orders history (what /messages follows).
      await db.schema.createTable('events', (t) => {
        t.bigInteger('stream_ordering').primary();
        t.text('event_id').notNullable().unique();
        t.text('room_id').notNullable();
        t.bigInteger('depth').notNullable();
        t.text('type').notNullable();
        t.text('state_key').nullable();
        t.text('sender').notNullable();
        t.bigInteger('origin_server_ts').notNullable();
        /** The PDU as received or built, as JSON text: parsed on read, never re-encoded on write. */
        t.text('json').notNullable();
        /** Known, but not part of the room's timeline (e.g. an auth event fetched for a check). */
        t.boolean('outlier').notNullable().defaultTo(false);
        t.text('rejected_reason').nullable();
        t.boolean('soft_failed').notNullable().defaultTo(false);
        /** State groups before and after the event (after differs only for state events). */
        t.bigInteger('state_before').nullable();
        t.bigInteger('state_after').nullable();
        /** For state events: the event this one replaced at its (type, state_key), for prev_content. */
        t.text('replaces_state').nullable();
        /** For events our clients sent: the device and transaction ID, echoed back to that device. */
        t.text('sender_device').nullable();
        t.text('txn_id').nullable();
        t.index(['room_id', 'depth', 'stream_ordering']);
        t.index(['room_id', 'stream_ordering']);
        t.index(['room_id', 'origin_server_ts']);
      });
      await db.schema.createTable('event_edges', (t) => {
        t.text('event_id').notNullable();
        t.text('prev_event_id').notNullable();
        t.text('room_id').notNullable();
        t.primary(['event_id', 'prev_event_id']);
        t.index(['prev_event_id']);
      });
      await db.schema.createTable('room_forward_extremities', (t) => {
        t.text('room_id').notNullable();
        t.text('event_id').notNullable();
        t.primary(['room_id', 'event_id']);
      });
      // State snapshots: a group is its parent plus a delta; a chain is cut by a full copy every so
      // often, so storage grows with state changes, not with events times room size.
      await db.schema.createTable('state_groups', (t) => {
        t.bigIncrements('id').primary();
        t.text('room_id').notNullable();
        t.bigInteger('parent').nullable();
        /** How many deltas lie between this group and the full copy it stands on. */
        t.integer('chain_length').notNullable();
      });
      await db.schema.createTable('state_group_entries', (t) => {
        t.bigInteger('group_id').notNullable();
        t.text('type').notNullable();
        t.text('state_key').notNullable();
        /** Null in a delta: the entry was removed by state resolution. */
        t.text('event_id').nullable();
        t.primary(['group_id', 'type', 'state_key']);
      });
      await db.schema.createTable('current_state', (t) => {
        t.text('room_id').notNullable();
        t.text('type').notNullable();
        t.text('state_key').notNullable();
        t.text('event_id').notNullable();
        t.primary(['room_id', 'type', 'state_key']);
      });
      // Current membership of every user in every room, with the position it last changed at: what
      // joined_rooms and sync read.
      await db.schema.createTable('room_memberships', (t) => {
        t.text('room_id').notNullable();
        t.text('user_id').notNullable();
        t.text('membership').notNullable();
        t.text('event_id').notNullable();
        t.bigInteger('stream_ordering').notNullable();
        t.boolean('forgotten').notNullable().defaultTo(false);
        t.primary(['room_id', 'user_id']);
        t.index(['user_id', 'membership']);
        t.index(['user_id', 'stream_ordering']);
      });
      await db.schema.createTable('event_relations', (t) => {
        t.text('event_id').primary();
        t.text('room_id').notNullable();
        t.text('relates_to').notNullable();
        t.text('rel_type').notNullable();
        t.text('aggregation_key').nullable();
        t.text('sender').notNullable();
        t.text('type').notNullable();
        t.bigInteger('stream_ordering').notNullable();
        t.index(['relates_to', 'rel_type']);
      });
      await db.schema.createTable('redactions', (t) => {
        t.text('event_id').primary();
        t.text('redacts').notNullable();
        t.text('room_id').notNullable();
        t.index(['redacts']);
      });
      await db.schema.createTable('room_aliases', (t) => {
        t.text('alias').primary();
        t.text('room_id').notNullable();
        t.text('creator').notNullable();
        t.bigInteger('created_ts').notNullable();
        t.index(['room_id']);
      });
      // Idempotent sends: the same (device, txnId) returns the first event again.
      await db.schema.createTable('event_txn_ids', (t) => {
        t.text('user_id').notNullable();
        t.text('device_id').notNullable();
        t.text('txn_id').notNullable();
        t.text('event_id').notNullable();
        t.bigInteger('created_ts').notNullable();
        t.primary(['user_id', 'device_id', 'txn_id']);
      });
    },
  },
  {
    name: 'rooms/002_directory_reports',
    async up(db) {
      // What the room directory, the admin room list and the user directory show of a room, read
      // from its current state. `state_group` is the group it was read from: a newer group means a
      // stale row, which the component rebuilds after events and at start.
      await db.schema.createTable('room_summaries', (t) => {
        t.text('room_id').primary();
        t.bigInteger('state_group').notNullable();
        t.text('name').nullable();
        t.text('topic').nullable();
        t.text('avatar_url').nullable();
        t.text('canonical_alias').nullable();
        t.text('join_rule').nullable();
        t.text('history_visibility').nullable();
        t.text('guest_access').nullable();
        t.text('encryption').nullable();
        t.text('room_type').nullable();
        t.boolean('federatable').notNullable().defaultTo(true);
        t.integer('joined_members').notNullable().defaultTo(0);
        t.integer('joined_local_members').notNullable().defaultTo(0);
        t.integer('state_events').notNullable().defaultTo(0);
        t.index(['joined_members', 'room_id']);
      });
      // Display names and avatars users are searched by: the global profile for our users, the
      // latest join event for others.
      await db.schema.createTable('user_directory', (t) => {
        t.text('user_id').primary();
        t.text('display_name').nullable();
        t.text('avatar_url').nullable();
      });
      await db.raw(
        `INSERT INTO user_directory (user_id, display_name, avatar_url)
         SELECT DISTINCT ON (m.user_id) m.user_id, (e.json::jsonb)->'content'->>'displayname', (e.json::jsonb)->'content'->>'avatar_url'
         FROM room_memberships m JOIN events e ON e.event_id = m.event_id
         WHERE m.membership = 'join'
         ORDER BY m.user_id, m.stream_ordering DESC`,
      );
      await db.schema.createTable('event_reports', (t) => {
        t.bigIncrements('id').primary();
        t.bigInteger('received_ts').notNullable();
        t.text('room_id').notNullable();
        t.text('event_id').notNullable();
        t.text('user_id').notNullable();
        t.text('reason').nullable();
        t.integer('score').nullable();
        /** The whole request body, as Synapse keeps it. */
        t.text('content').notNullable();
        t.index(['room_id']);
        t.index(['user_id']);
      });
      await db.schema.createTable('room_reports', (t) => {
        t.bigIncrements('id').primary();
        t.bigInteger('received_ts').notNullable();
        t.text('room_id').notNullable();
        t.text('user_id').notNullable();
        t.text('reason').notNullable();
        t.index(['room_id']);
      });
      // The thread list groups a room's thread replies by root.
      await db.schema.alterTable('event_relations', (t) => {
        t.index(['room_id', 'rel_type', 'relates_to']);
      });
    },
  },
  {
    name: 'rooms/003_remote_memberships',
    async up(db) {
      // Invites and knocks in rooms this server is not in: the room's stripped state as the other
      // server gave it, and where to send a rejection or withdrawal.
      await db.schema.createTable('remote_memberships', (t) => {
        t.text('room_id').notNullable();
        t.text('user_id').notNullable();
        t.text('membership').notNullable();
        t.text('event_id').notNullable();
        t.text('room_version').notNullable();
        /** The server that sent the invite, or the one the knock went through. */
        t.text('via_server').notNullable();
        t.text('stripped_state').notNullable();
        t.primary(['room_id', 'user_id']);
      });
    },
  },
  {
    name: 'rooms/004_txn_ids_on_events',
    async up(db) {
      // The event rows already carry the sending device and transaction ID: an index over them
      // replaces the separate table (one insert less per send, less storage per event).
      await db.raw('CREATE INDEX events_txn_lookup ON events (sender, sender_device, txn_id) WHERE txn_id IS NOT NULL');
      await db.schema.dropTable('event_txn_ids');
    },
  },
  {
    name: 'rooms/005_drop_event_edges',
    async up(db) {
      // Every walk of the graph reads prev_events from the event itself; the edge table (with its
      // indexes) was a sixth of the database per event and answered nothing else.
      await db.schema.dropTable('event_edges');
    },
  },
  {
    name: 'rooms/006_event_search',
    async up(db) {
      // Server-side search: a text-search vector (configuration 'simple': no stemming, no stop
      // words, so every language is treated alike) for each accepted message body, room name and
      // topic; redacted events have none. The persist steps keep it in step from here on.
      await db.schema.createTable('event_search', (t) => {
        t.text('event_id').primary();
        t.text('room_id').notNullable();
        /** content.body, content.name or content.topic: the `keys` of a search. */
        t.text('key').notNullable();
        /** The `contains_url` of a search filter. */
        t.boolean('contains_url').notNullable().defaultTo(false);
        t.specificType('vector', 'tsvector').notNullable();
      });
      await db.raw('CREATE INDEX event_search_vector ON event_search USING GIN (vector)');
      // The events held already. JSON with an escaped NUL cannot be read as jsonb: such events are
      // left out rather than failing the step.
      await db.raw(`
        INSERT INTO event_search (event_id, room_id, key, contains_url, vector)
        SELECT event_id, room_id, key, contains_url, to_tsvector('simple', body)
        FROM (
          SELECT e.event_id, e.room_id,
            CASE e.type WHEN 'm.room.message' THEN 'content.body' WHEN 'm.room.name' THEN 'content.name' ELSE 'content.topic' END AS key,
            coalesce(jsonb_typeof(c.content->'url') = 'string', false) AS contains_url,
            regexp_replace(
              CASE e.type
                WHEN 'm.room.message' THEN CASE WHEN jsonb_typeof(c.content->'body') = 'string' THEN c.content->>'body' END
                WHEN 'm.room.name' THEN CASE WHEN jsonb_typeof(c.content->'name') = 'string' THEN c.content->>'name' END
                ELSE nullif(concat_ws(E'\\n',
                  CASE WHEN jsonb_typeof(c.content->'topic') = 'string' THEN c.content->>'topic' END,
                  (SELECT string_agg(DISTINCT b.block->>'body', E'\\n')
                     FROM jsonb_array_elements(CASE WHEN jsonb_typeof(c.content->'m.topic'->'m.text') = 'array' THEN c.content->'m.topic'->'m.text' ELSE '[]'::jsonb END) AS b(block)
                    WHERE jsonb_typeof(b.block->'body') = 'string'
                      AND coalesce(b.block->>'mimetype', 'text/plain') = 'text/plain'
                      AND (b.block->>'body') IS DISTINCT FROM (c.content->>'topic'))), '')
              END,
              '[\\x01-\\x08\\x0e-\\x1f]', ' ', 'g') AS body
          FROM events e
          CROSS JOIN LATERAL (SELECT CASE WHEN strpos(e.json, '\\u0000') = 0 THEN (e.json::jsonb)->'content' END AS content) c
          WHERE e.outlier = false AND e.rejected_reason IS NULL AND e.soft_failed = false
            AND ((e.type = 'm.room.message' AND e.state_key IS NULL) OR (e.type IN ('m.room.name', 'm.room.topic') AND e.state_key = ''))
            AND NOT EXISTS (SELECT 1 FROM redactions r JOIN events re ON re.event_id = r.event_id
                            WHERE r.redacts = e.event_id AND re.rejected_reason IS NULL AND re.soft_failed = false)
        ) x
        WHERE x.body IS NOT NULL AND btrim(x.body) <> ''`);
    },
  },
  {
    name: 'rooms/007_event_search_by_position',
    async up(db) {
      // The search index keyed by the event's stream position instead of its ID and room (both
      // read from the event row when searching): about a hundred bytes less per indexed event.
      await db.raw('ALTER TABLE event_search ADD COLUMN stream_ordering bigint');
      await db.raw('UPDATE event_search s SET stream_ordering = e.stream_ordering FROM events e WHERE e.event_id = s.event_id');
      await db.raw('DELETE FROM event_search WHERE stream_ordering IS NULL');
      await db.raw('ALTER TABLE event_search DROP CONSTRAINT event_search_pkey');
      await db.raw('ALTER TABLE event_search DROP COLUMN event_id');
      await db.raw('ALTER TABLE event_search DROP COLUMN room_id');
      await db.raw('ALTER TABLE event_search ADD PRIMARY KEY (stream_ordering)');
    },
  },
  {
    name: 'rooms/008_unique_txn_ids',
    async up(db) {
      // A device's transaction ID names one event: with the index unique, a send need not look
      // the ID up before committing (a reused one makes the commit fail, and only then is it
      // looked up). Should two rows share one already, the oldest keeps it.
      await db.raw(`
        UPDATE events e SET txn_id = NULL
        WHERE e.txn_id IS NOT NULL AND EXISTS (
          SELECT 1 FROM events o
          WHERE o.sender = e.sender AND o.sender_device IS NOT DISTINCT FROM e.sender_device AND o.txn_id = e.txn_id
            AND o.stream_ordering < e.stream_ordering)`);
      await db.raw('CREATE UNIQUE INDEX events_txn_unique ON events (sender, sender_device, txn_id) WHERE txn_id IS NOT NULL');
      await db.raw('DROP INDEX events_txn_lookup');
    },
  },
  {
    name: 'rooms/009_unread_checkpoints',
    async up(db) {
      // Unread counts as last counted, so a restarted server counts only what came after them.
      await db.schema.createTable('room_unread_checkpoints', (t) => {
        t.text('user_id').notNullable();
        t.text('room_id').notNullable();
        /** The read position the counts start after, and the stream position they run to. */
        t.bigInteger('after_stream').notNullable();
        t.bigInteger('up_to').notNullable();
        t.integer('notifications').notNullable();
        t.integer('highlights').notNullable();
        /** Fingerprint of the push rules the counts were made under. */
        t.text('rules_tag').notNullable();
        t.primary(['user_id', 'room_id']);
      });
    },
  },
];
