import { request } from 'undici';
import { agent, api, register, round, type BenchUser } from '../lib/client.js';
import { pool } from '../lib/pool.js';
import { startBenchServer } from '../lib/server.js';
import { summarize, type Summary } from '../lib/stats.js';
import { startTrivialServer } from '../lib/trivial.js';

const enc = encodeURIComponent;
const SYNC = '/_matrix/client/v3/sync';

/** One GET, timed from sending the request to having the whole body as text. */
async function getTimed(base: string, path: string, token?: string): Promise<{ ms: number; text: string }> {
  const start = performance.now();
  const res = await request(`${base}${path}`, { dispatcher: agent, headers: token ? { authorization: `Bearer ${token}` } : {} });
  const text = await res.body.text();
  const ms = performance.now() - start;
  if (res.statusCode !== 200) throw new Error(`GET ${path}: ${res.statusCode} ${text.slice(0, 500)}`);
  return { ms, text };
}

interface Case {
  ours: Summary;
  limit: Summary;
  bytes: number;
  ratio_of_limit: number;
}

/** The same body from a server that does nothing else: what the machine needs to move it. */
async function floor(base: string, runs: number): Promise<Summary> {
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) ms.push((await getTimed(base, '/')).ms);
  return summarize(ms);
}

/**
 * One user in `rooms` rooms of `eventsPerRoom` events each (the room's creation, a second member
 * joining, then messages from both), built through the client API with rooms in parallel. Then
 * the reader's initial /sync, an incremental /sync with nothing new (timeout=0) and one after a
 * single new message, each several times. The limit for each is the same response body served
 * by a trivial server process (parsed once, serialised per request) over the same loopback.
 * The first initial /sync counts on its own, and so does one more after a restart of the server,
 * when nothing at all is in memory: a user's first sync after login is one of those.
 */
export async function initialSync(o: { rooms: number; eventsPerRoom: number; runs: number }): Promise<Record<string, unknown>> {
  const server = await startBenchServer();
  const trivial = await startTrivialServer();
  try {
    const base = server.url;
    const reader = await register(base, 'reader');
    const partners: BenchUser[] = await pool(
      Array.from({ length: 20 }, (_, i) => i),
      5,
      (i) => register(base, `partner${i}`),
    );
    const buildStart = performance.now();
    let stateEvents = 0;
    const roomIds = await pool(
      Array.from({ length: o.rooms }, (_, i) => i),
      8,
      async (i) => {
        const partner = partners[i % partners.length]!;
        const { room_id: roomId } = await api(base, 'POST', '/_matrix/client/v3/createRoom', reader.token, { preset: 'public_chat', name: `Room ${i}`, topic: `Topic of room ${i}` });
        const path = `/_matrix/client/v3/rooms/${enc(roomId)}`;
        await api(base, 'POST', `${path}/join`, partner.token, {});
        // Count what creation made once; every room is made the same way.
        if (stateEvents === 0) {
          const page = await api(base, 'GET', `${path}/messages?dir=b&limit=100`, reader.token);
          stateEvents = page.chunk.length;
        }
        for (let n = 0; n < o.eventsPerRoom - stateEvents; n++) {
          const who = n % 3 === 0 ? reader : partner;
          // Transaction IDs are per device, not per room: reused ones would return the earlier event.
          await api(base, 'PUT', `${path}/send/m.room.message/b${i}-${n}`, who.token, { msgtype: 'm.text', body: `Message ${n} in room ${i}: ${'lorem ipsum '.repeat(1 + (n % 5))}` });
        }
        return roomId as string;
      },
    );
    const buildSeconds = (performance.now() - buildStart) / 1000;
    const events = o.rooms * o.eventsPerRoom;
    const last = await api(base, 'GET', `/_matrix/client/v3/rooms/${enc(roomIds[roomIds.length - 1]!)}/messages?dir=b&limit=${o.eventsPerRoom + 10}`, reader.token);
    if (last.chunk.length !== o.eventsPerRoom) throw new Error(`a room has ${last.chunk.length} events, expected ${o.eventsPerRoom}`);

    // Initial: no since, no filter, as a client's first start.
    const initialMs: number[] = [];
    let initial = { ms: 0, text: '' };
    for (let i = 0; i < o.runs; i++) {
      initial = await getTimed(base, SYNC, reader.token);
      initialMs.push(initial.ms);
    }
    const initialBody = JSON.parse(initial.text);
    const joined = Object.keys(initialBody.rooms?.join ?? {}).length;
    if (joined !== o.rooms) throw new Error(`initial sync has ${joined} joined rooms, expected ${o.rooms}`);
    let since: string = initialBody.next_batch;

    const emptyMs: number[] = [];
    let empty = { ms: 0, text: '' };
    for (let i = 0; i < o.runs * 10; i++) {
      empty = await getTimed(base, `${SYNC}?since=${enc(since)}&timeout=0`, reader.token);
      emptyMs.push(empty.ms);
      since = JSON.parse(empty.text).next_batch;
    }

    const oneMs: number[] = [];
    let one = { ms: 0, text: '' };
    for (let i = 0; i < o.runs * 5; i++) {
      const roomId = roomIds[i % roomIds.length]!;
      const { event_id: eventId } = await api(base, 'PUT', `/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/new${i}`, partners[i % partners.length]!.token, { msgtype: 'm.text', body: `new ${i}` });
      one = await getTimed(base, `${SYNC}?since=${enc(since)}&timeout=0`, reader.token);
      oneMs.push(one.ms);
      const body = JSON.parse(one.text);
      if (!(body.rooms?.join?.[roomId]?.timeline?.events ?? []).some((e: any) => e.event_id === eventId)) throw new Error(`incremental sync lacks the new message ${eventId}`);
      since = body.next_batch;
    }

    // The first sync of a server that has just started: nothing in memory, every read from the
    // database, as after an upgrade. (The first run above is cold only for what sync caches: the
    // process that wrote the rooms still holds their newest events.)
    await server.restart();
    const afterRestart = await getTimed(base, SYNC, reader.token);
    if (Object.keys(JSON.parse(afterRestart.text).rooms?.join ?? {}).length !== o.rooms) throw new Error('the sync after the restart lacks rooms');

    const measure = async (ms: number[], text: string, runs: number): Promise<Case> => {
      await trivial.serve(JSON.parse(text));
      const limit = await floor(trivial.url, runs);
      const ours = summarize(ms);
      return { ours, limit, bytes: Buffer.byteLength(text), ratio_of_limit: round(limit.p50 / ours.p50, 4) };
    };
    const cases = {
      initial: await measure(initialMs, initial.text, o.runs),
      incremental_nothing_new: await measure(emptyMs, empty.text, o.runs * 10),
      incremental_one_message: await measure(oneMs, one.text, o.runs * 5),
    };
    const initialFirstMs = round(initialMs[0]!);
    const initialAfterRestartMs = round(afterRestart.ms);
    // A user's first sync after login is the cold one: it has the same target as the rest.
    const met = cases.initial.ours.p50 < 500 && initialFirstMs < 500 && initialAfterRestartMs < 500 && cases.incremental_nothing_new.ours.p50 < 5 && cases.incremental_one_message.ours.p50 < 5;
    return {
      scenario: 'initial-sync',
      rooms: o.rooms,
      events,
      build_seconds: round(buildSeconds, 1),
      build_events_per_s: round(events / buildSeconds),
      sync_ms: cases,
      initial_first_ms: initialFirstMs,
      initial_after_restart_ms: initialAfterRestartMs,
      server_rss_peak_mb: round(server.rss() / 1048576, 1),
      limit: { what: 'the same response bodies served by a trivial server process (parse once, serialise per request), p50 ms', value: { initial: cases.initial.limit.p50, incremental_nothing_new: cases.incremental_nothing_new.limit.p50, incremental_one_message: cases.incremental_one_message.limit.p50 } },
      ratio_of_limit: { initial: cases.initial.ratio_of_limit, incremental_nothing_new: cases.incremental_nothing_new.ratio_of_limit, incremental_one_message: cases.incremental_one_message.ratio_of_limit },
      target: { initial_p50_ms_below: 500, initial_first_ms_below: 500, initial_after_restart_ms_below: 500, incremental_p50_ms_below: 5 },
      met,
      summary:
        `initial first ${initialFirstMs} ms, after restart ${initialAfterRestartMs} ms, ` +
        `p50 ${cases.initial.ours.p50} / p99 ${cases.initial.ours.p99} ms (${round(cases.initial.bytes / 1e6, 2)} MB; floor ${cases.initial.limit.p50}), ` +
        `nothing new p50 ${cases.incremental_nothing_new.ours.p50} / p99 ${cases.incremental_nothing_new.ours.p99} ms (floor ${cases.incremental_nothing_new.limit.p50}), ` +
        `one message p50 ${cases.incremental_one_message.ours.p50} / p99 ${cases.incremental_one_message.ours.p99} ms (floor ${cases.incremental_one_message.limit.p50})`,
    };
  } finally {
    await trivial.stop();
    await server.stop();
  }
}
