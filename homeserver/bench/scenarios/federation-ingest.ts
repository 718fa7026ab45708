import { canonicalJsonBytes } from '../../src/core/canonical-json.js';
import { redact } from '../../src/core/redaction.js';
import type { PDU } from '../../src/core/events.js';
import { rawEd25519VerifyRate } from '../lib/baselines.js';
import { api, register, round } from '../lib/client.js';
import { REMOTE, startFederatedBench } from '../lib/federation.js';
import { RemoteRoom } from '../lib/remote-room.js';
import { summarize } from '../lib/stats.js';

const enc = encodeURIComponent;

/** The bytes an Ed25519 signature of an event covers: its redacted form without signatures and unsigned. */
function signedBytes(pdu: PDU, room: RemoteRoom): Buffer {
  const redacted = redact(pdu, room.rv) as Record<string, unknown>;
  delete redacted['signatures'];
  delete redacted['unsigned'];
  return canonicalJsonBytes(redacted);
}

/**
 * Another server pushing a room's new events into Hearth over real federation: the bench's remote
 * server (`remote.bench`, HTTPS, its own key) holds `rooms` public rooms, a Hearth user joins each
 * through make_join/send_join, then the remote creator's `messages` messages (signed before the
 * clock starts, each citing the previous event of its room) go to Hearth's federation listener as
 * `PUT /send/{txnId}` transactions of `perTxn` PDUs with X-Matrix auth, one transaction at a time
 * (a sender's transactions are ordered). Every PDU must come back `{}`, and the last message of each
 * room must be the newest event the Hearth user reads through /messages.
 */
export async function federationIngest(o: { messages: number; perTxn: number; rooms: number }): Promise<Record<string, unknown>> {
  const bench = await startFederatedBench();
  try {
    const { server, remote, sender } = bench;
    const creator = `@creator:${REMOTE}`;
    const reader = await register(server.url, 'reader');
    const rooms: RemoteRoom[] = [];
    for (let r = 0; r < o.rooms; r++) {
      const room = new RemoteRoom(remote.key, `!ingest${r}:${REMOTE}`, creator);
      remote.rooms.set(room.roomId, room);
      await api(server.url, 'POST', `/_matrix/client/v3/join/${enc(room.roomId)}?via=${REMOTE}`, reader.token, {});
      rooms.push(room);
    }

    const genStart = performance.now();
    const pdus: PDU[] = [];
    for (let m = 0; m < o.messages; m++) {
      const room = rooms[m % rooms.length]!;
      pdus.push(room.events.get(room.message(creator, `Message ${m} from the other side: ${'news of the day '.repeat(1 + (m % 4))}`))!);
    }
    const genSeconds = (performance.now() - genStart) / 1000;
    const ids = new Map(rooms.flatMap((room) => room.order.map((id) => [room.events.get(id)!, id] as const)));

    // One empty transaction first: the TLS connection and the key of remote.bench are in place before the clock.
    await sender.request('PUT', '/_matrix/federation/v1/send/warm-up', { origin: REMOTE, origin_server_ts: Date.now(), pdus: [] });

    const errors = new Map<string, number>();
    let accepted = 0;
    const txnMs: number[] = [];
    const start = performance.now();
    for (let i = 0, t = 0; i < pdus.length; i += o.perTxn, t++) {
      const batch = pdus.slice(i, i + o.perTxn);
      const t0 = performance.now();
      const res = await sender.request('PUT', `/_matrix/federation/v1/send/ingest-${t}`, { origin: REMOTE, origin_server_ts: Date.now(), pdus: batch });
      txnMs.push(performance.now() - t0);
      for (const pdu of batch) {
        const result = res?.pdus?.[ids.get(pdu)!];
        if (result && typeof result === 'object' && Object.keys(result).length === 0) accepted++;
        else {
          const why = result === undefined ? 'no result' : JSON.stringify(result);
          errors.set(why, (errors.get(why) ?? 0) + 1);
        }
      }
    }
    const seconds = (performance.now() - start) / 1000;
    const pdusPerSecond = pdus.length / seconds;
    const rssPeak = server.rss();

    let lastVisible = 0;
    for (const room of rooms) {
      const page = await api(server.url, 'GET', `/_matrix/client/v3/rooms/${enc(room.roomId)}/messages?dir=b&limit=1`, reader.token);
      if (page.chunk?.[0]?.event_id === room.last) lastVisible++;
    }

    const verifies = rawEd25519VerifyRate(signedBytes(pdus[pdus.length - 1]!, rooms[0]!));
    const ratio = pdusPerSecond / verifies;
    const allAccepted = accepted === pdus.length;
    const met = pdusPerSecond >= 2000 && allAccepted && lastVisible === rooms.length;
    return {
      scenario: o.rooms === 1 ? 'federation-ingest' : `federation-ingest-${o.rooms}-rooms`,
      rooms: o.rooms,
      pdus: pdus.length,
      pdus_per_transaction: o.perTxn,
      transactions: txnMs.length,
      generation_seconds: round(genSeconds, 2),
      seconds: round(seconds, 3),
      pdus_per_s: round(pdusPerSecond),
      transaction_ms: summarize(txnMs),
      accepted,
      errors: Object.fromEntries(errors),
      last_event_visible: `${lastVisible}/${rooms.length}`,
      server_rss_peak_mb: round(rssPeak / 1048576, 1),
      requests_to_remote: Object.fromEntries(remote.requests),
      limit: { what: 'raw Ed25519 verifications/s with node:crypto on one thread (the same event bytes)', value: round(verifies) },
      // Verifications one accepted PDU costs in time: 1 would be a server doing nothing but the signature check.
      ratio_of_limit: round(ratio, 4),
      target: { pdus_per_s_at_least: 2000, all_accepted: true },
      met,
      summary: `${round(pdusPerSecond)} PDUs/s (${pdus.length} in ${txnMs.length} transactions of ${o.perTxn}, ${o.rooms} room${o.rooms > 1 ? 's' : ''}; txn p50 ${summarize(txnMs).p50} ms), accepted ${accepted}/${pdus.length}, last visible ${lastVisible}/${rooms.length}; limit ${round(verifies)} verifies/s, ratio ${round(ratio, 3)}`,
    };
  } finally {
    await bench.stop();
  }
}
