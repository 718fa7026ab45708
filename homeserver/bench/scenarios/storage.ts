import pg from 'pg';
import { api, round, type BenchUser } from '../lib/client.js';
import { createScratchDatabase, tableSizes } from '../lib/database.js';
import { JWT_ENV, jwtLogin } from '../lib/jwt.js';
import { pool } from '../lib/pool.js';
import { startBenchServer } from '../lib/server.js';

const enc = encodeURIComponent;

const total = (sizes: Array<{ bytes: number }>): number => sizes.reduce((n, t) => n + t.bytes, 0);

/** Every event of the room as clients see it, newest first, through /messages. */
async function allEvents(base: string, token: string, roomId: string): Promise<any[]> {
  const out: any[] = [];
  let from: string | undefined;
  for (;;) {
    const page = await api(base, 'GET', `/_matrix/client/v3/rooms/${enc(roomId)}/messages?dir=b&limit=1000${from ? `&from=${enc(from)}` : ''}`, token);
    out.push(...page.chunk);
    if (!page.end || page.chunk.length === 0) return out;
    from = page.end;
  }
}

/**
 * The floor: the same events in the simplest table that can serve them (id, room, JSON), in a
 * fresh database of the same PostgreSQL server. Bytes on disk with indexes and TOAST.
 */
async function rawTableBytes(events: any[]): Promise<number> {
  const db = await createScratchDatabase('hearth_bench_raw');
  const c = new pg.Client({ connectionString: db.url });
  try {
    await c.connect();
    await c.query('CREATE TABLE events (event_id text PRIMARY KEY, room_id text NOT NULL, json jsonb NOT NULL)');
    for (let i = 0; i < events.length; i += 1000) {
      const chunk = events.slice(i, i + 1000);
      await c.query('INSERT INTO events SELECT * FROM unnest($1::text[], $2::text[], $3::jsonb[])', [chunk.map((e) => e.event_id), chunk.map((e) => e.room_id), chunk.map((e) => JSON.stringify(e))]);
    }
    return total(await tableSizes(db.url));
  } finally {
    await c.end().catch(() => undefined);
    await db.drop();
  }
}

/**
 * Bytes of database per event: a room of `members` members, then `messages` messages with
 * `membershipChanges` leaves and re-joins spread among them. Summed pg_total_relation_size of
 * every table, minus the same sum for the freshly started (empty) server, per event in the room.
 */
export async function storage(o: { members: number; messages: number; membershipChanges: number }): Promise<Record<string, unknown>> {
  const server = await startBenchServer({ ...JWT_ENV });
  try {
    const base = server.url;
    const empty = await tableSizes(server.databaseUrl);
    const buildStart = performance.now();
    const members: BenchUser[] = await pool(Array.from({ length: o.members }, (_, i) => i), 8, (i) => jwtLogin(base, `member${i}`));
    const owner = members[0]!;
    const { room_id: roomId } = await api(base, 'POST', '/_matrix/client/v3/createRoom', owner.token, { preset: 'public_chat', name: 'Storage' });
    const room = `/_matrix/client/v3/rooms/${enc(roomId)}`;
    await pool(members.slice(1), 8, (m) => api(base, 'POST', `${room}/join`, m.token, {}));

    // Membership change k: member mover(k) leaves (even k) or comes back (odd k), so at most one
    // member is away at a time; messages are spread evenly between the changes.
    const rounds = Math.max(1, o.membershipChanges);
    const mover = (k: number): number => 1 + (Math.floor(k / 2) % (o.members - 1));
    let sent = 0;
    for (let k = 0; k < rounds; k++) {
      const batch = k === rounds - 1 ? o.messages - sent : Math.min(Math.floor(o.messages / rounds), o.messages - sent);
      const away = k % 2 === 1 ? mover(k) : undefined;
      await pool(Array.from({ length: batch }, (_, j) => sent + j), 10, (n) => {
        const who = (n * 7919) % o.members;
        return api(base, 'PUT', `${room}/send/m.room.message/s${n}`, members[who === away ? 0 : who]!.token, { msgtype: 'm.text', body: `Message ${n}: ${'words of the day '.repeat(1 + (n % 4))}` });
      });
      sent += batch;
      if (k < o.membershipChanges) await api(base, 'POST', `${room}/${k % 2 === 0 ? 'leave' : 'join'}`, members[mover(k)]!.token, {});
    }
    const buildSeconds = (performance.now() - buildStart) / 1000;

    const events = await allEvents(base, owner.token, roomId);
    const after = await tableSizes(server.databaseUrl);
    const grown = total(after) - total(empty);
    const before = new Map(empty.map((t) => [t.table, t.bytes]));
    // Where the bytes are, for whoever makes them fewer: heap against indexes, rows against dead rows.
    const byTable = after
      .map((t) => ({ ...t, bytes: t.bytes - (before.get(t.table) ?? 0) }))
      .filter((t) => t.bytes > 0)
      .sort((a, b) => b.bytes - a.bytes)
      .slice(0, 12)
      .map((t) => ({ table: t.table, per_event: round(t.bytes / events.length, 0), bytes: t.bytes, heap: t.heap, indexes: t.indexes, live_rows: t.liveRows, dead_rows: t.deadRows }));
    const rawBytes = await rawTableBytes(events);
    const perEvent = grown / events.length;
    const rawPerEvent = rawBytes / events.length;
    return {
      scenario: 'storage',
      members: o.members,
      messages: o.messages,
      membership_changes: o.membershipChanges,
      events: events.length,
      build_seconds: round(buildSeconds, 1),
      build_events_per_s: round(events.length / buildSeconds),
      database_mb: { empty: round(total(empty) / 1048576, 1), after: round(total(after) / 1048576, 1) },
      bytes_per_event: round(perEvent, 0),
      largest_tables: byTable,
      server_rss_peak_mb: round(server.rss() / 1048576, 1),
      limit: { what: 'bytes per event of the same client-format events in a bare (event_id, room_id, jsonb) table with its primary key', value: round(rawPerEvent, 0) },
      ratio_of_limit: round(rawPerEvent / perEvent, 4),
      target: { bytes_per_event_below: 2048 },
      met: perEvent < 2048,
      summary: `${round(perEvent, 0)} bytes/event over ${events.length} events (floor ${round(rawPerEvent, 0)}); largest: ${byTable.slice(0, 3).map((t) => `${t.table} ${t.per_event}`).join(', ')}`,
    };
  } finally {
    await server.stop();
  }
}
