import { canonicalJsonBytes } from '../../src/core/canonical-json.js';
import { redact } from '../../src/core/redaction.js';
import { rawEd25519VerifyRate, rawPgBulkInsertRate } from '../lib/baselines.js';
import { api, register, round } from '../lib/client.js';
import { REMOTE, startFederatedBench } from '../lib/federation.js';
import { RemoteRoom } from '../lib/remote-room.js';

const enc = encodeURIComponent;

/**
 * A Hearth user joins a room of another server that already has `members` members: the bench's
 * remote server (`remote.bench`) builds and signs the room before the clock starts (create, the
 * creator's join, power levels, public join rules, then one join per member, each citing the one
 * before), and answers Hearth's make_join and send_join, the latter with every state event and
 * their auth chain. The clock runs from the client's join request to the 200 of its first message
 * in the room. Server RSS is its peak over the whole run, read from /proc every 100 ms.
 */
export async function bigJoin(o: { members: number }): Promise<Record<string, unknown>> {
  const bench = await startFederatedBench();
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await bench.stop();
  };
  try {
    const { server, remote } = bench;
    const creator = `@creator:${REMOTE}`;

    const genStart = performance.now();
    const room = new RemoteRoom(remote.key, `!big:${REMOTE}`, creator);
    for (let i = 0; i < o.members; i++) room.join(`@u${i}:${REMOTE}`);
    const answerBytes = room.joinAnswer().length;
    const genSeconds = (performance.now() - genStart) / 1000;
    remote.rooms.set(room.roomId, room);
    const stateEvents = room.state.size;
    /** What every result of this scenario starts with, joined or not. */
    const about = {
      scenario: 'big-join',
      members: o.members,
      state_events: stateEvents,
      send_join_answer_mb: round(answerBytes / 1048576, 1),
      generation_seconds: round(genSeconds, 2),
    };

    const user = await register(server.url, 'joiner');
    const rssBefore = server.rssNow();
    const start = performance.now();
    const joinFailure = await api(server.url, 'POST', `/_matrix/client/v3/join/${enc(room.roomId)}?via=${REMOTE}`, user.token, {}).then(
      () => undefined,
      (err: unknown) => err as Error,
    );
    if (joinFailure) {
      const failedAfter = (performance.now() - start) / 1000;
      // The server's error log line follows its answer (a failed query's line quotes its SQL: megabytes).
      for (let i = 0; i < 100 && server.errors().length === 0; i++) await new Promise((r) => setTimeout(r, 100));
      return {
        ...about,
        joined: false,
        failed_after_s: round(failedAfter, 3),
        error: joinFailure.message,
        server_errors: server.errors().slice(-3),
        server_rss_mb: { before: round(rssBefore / 1048576, 1), peak: round(server.rss() / 1048576, 1) },
        requests_to_remote: Object.fromEntries(remote.requests),
        target: { seconds_below: 10, server_rss_peak_mb_below: 1024 },
        met: false,
        summary: `join of a room of ${stateEvents} state events FAILED after ${round(failedAfter, 2)} s: ${joinFailure.message.slice(0, 120)}; server: ${(server.errors().at(-1) ?? 'no error logged').slice(-160)}`,
      };
    }
    const joinedMs = performance.now() - start;
    const sent = await api(server.url, 'PUT', `/_matrix/client/v3/rooms/${enc(room.roomId)}/send/m.room.message/hello`, user.token, { msgtype: 'm.text', body: 'Hello, everyone' });
    const seconds = (performance.now() - start) / 1000;
    const sendMs = seconds * 1000 - joinedMs;
    const at = (route: string): { at: number; answeredAt?: number } | undefined => remote.timeline.find((e) => e.route === route && e.at >= start);
    const makeJoin = at('GET make_join');
    const sendJoin = at('PUT send_join');
    // Where the join's time went: asking for the template, signing and sending the join, the answer
    // going out (written into the socket; Hearth reads it meanwhile), then Hearth checking and storing it.
    const phases = makeJoin && sendJoin?.answeredAt !== undefined
      ? {
          until_make_join: round(makeJoin.at - start, 0),
          until_send_join: round(sendJoin.at - start, 0),
          send_join_answer_written: round(sendJoin.answeredAt - sendJoin.at, 0),
          after_answer_until_joined: round(start + joinedMs - sendJoin.answeredAt, 0),
        }
      : undefined;
    const rssPeak = server.rss();

    // After the clock: the message reaches the remote server, and Hearth counts everyone in.
    const deadline = Date.now() + 30_000;
    while (!remote.received.some((p) => p.type === 'm.room.message') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const delivered = remote.received.some((p) => p.type === 'm.room.message');
    const joined = Object.keys((await api(server.url, 'GET', `/_matrix/client/v3/rooms/${enc(room.roomId)}/joined_members`, user.token)).joined ?? {}).length;
    const rssAfter = server.rss();
    const requests = Object.fromEntries(remote.requests);
    const bodies = [...room.state.values()].map((id) => JSON.stringify(room.events.get(id)));
    const sample = redact(room.events.get(room.last)!, room.rv) as Record<string, unknown>;
    delete sample['signatures'];
    await stop();

    // The machine's limits, measured once our server is gone: every state event needs at least one
    // signature check and one row written.
    const limits = { verifies: rawEd25519VerifyRate(canonicalJsonBytes(sample)), inserts: await rawPgBulkInsertRate(bodies) };
    const floorSeconds = stateEvents / limits.verifies + stateEvents / limits.inserts;
    const ratio = floorSeconds / seconds;
    const met = seconds < 10 && rssPeak < 1024 ** 3 && typeof sent?.event_id === 'string';
    return {
      ...about,
      join_ms: round(joinedMs, 0),
      first_message_ms: round(sendMs, 0),
      join_phases_ms: phases,
      seconds: round(seconds, 3),
      server_rss_mb: { before: round(rssBefore / 1048576, 1), peak: round(rssPeak / 1048576, 1), peak_until_checks_done: round(rssAfter / 1048576, 1) },
      message_reached_remote: delivered,
      joined_members_seen: joined,
      requests_to_remote: requests,
      limit: {
        what: 'one Ed25519 verification (node:crypto, one thread) and one bulk-inserted row (1,000 per INSERT, one transaction, bare table) per state event',
        value: { verifies_per_s: round(limits.verifies), insert_rows_per_s: round(limits.inserts), floor_seconds: round(floorSeconds, 3) },
      },
      ratio_of_limit: round(ratio, 4),
      target: { seconds_below: 10, server_rss_peak_mb_below: 1024 },
      met,
      summary: `${round(seconds, 2)} s to join a room of ${stateEvents} state events and send (join ${round(joinedMs / 1000, 2)} s, message ${round(sendMs, 0)} ms), RSS peak ${round(rssPeak / 1048576)} MB; floor ${round(floorSeconds, 2)} s (${round(limits.verifies)} verifies/s, ${round(limits.inserts)} rows/s), ratio ${round(ratio, 3)}; generation ${round(genSeconds, 1)} s`,
    };
  } finally {
    await stop();
  }
}
