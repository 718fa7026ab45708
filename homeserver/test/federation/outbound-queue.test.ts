import test from 'ava';
import type { JsonObject } from '../../src/core/json.js';
import type { Homeserver } from '../../src/homeserver.js';
import { startFederation, until, type FederationNetwork } from '../helpers/federation.js';

/**
 * hs1 sends to hs2 through its durable queue. hs2 records what reaches its PDU handler and its
 * EDU handler; the record survives hs2's restarts (the handlers are registered again at start).
 */
const got = { pduBatches: [] as string[][], edus: [] as Array<{ origin: string; n: unknown }> };
const stall = new Set<string>();

function record(hs: Homeserver): void {
  hs.federation.registerEduHandler('org.hearth.test', (origin, content) => {
    got.edus.push({ origin, n: content['n'] });
  });
  hs.federation.setInboundPduHandler({
    async handlePdus(_origin, pdus) {
      const ids = pdus.map((p) => String(p['event_id']));
      for (const id of ids) {
        if (stall.delete(id)) await new Promise((r) => setTimeout(r, 1500));
      }
      got.pduBatches.push(ids);
      return new Map(ids.map((id) => [id, {}]));
    },
  });
}

let net: FederationNetwork;
test.before(async () => {
  net = await startFederation(['hs1.test', 'hs2.test', 'hs3.test'], (name) => ({
    env: {
      HS_FEDERATION_RETRY_INITIAL_MS: name === 'hs3.test' ? '600000' : '100',
      HS_FEDERATION_RETRY_MAX_MS: name === 'hs3.test' ? '600000' : '400',
      HS_FEDERATION_REQUEST_TIMEOUT_MS: '1000',
      ...(name === 'hs1.test' ? { HS_METRICS_PORT: '0' } : {}),
    },
    onStart: name === 'hs2.test' ? record : undefined,
  }));
});
test.after.always(() => net?.close());

const hs1 = () => net.server('hs1.test').hs;
const allPdus = () => got.pduBatches.flat();
const edusNamed = (prefix: string) => got.edus.filter((e) => String(e.n).startsWith(prefix)).map((e) => e.n);
const pdu = (id: string, room: string): JsonObject => ({ event_id: id, room_id: room, type: 'org.hearth.test', sender: '@a:hs1.test', content: {} });
const failuresOf = async (server: string, destination: string): Promise<number> => {
  const row = (await net.server(server).hs.database.db('federation_destinations').where({ destination }).first('failures')) as { failures: number } | undefined;
  return row?.failures ?? 0;
};
const queued = async (server: string): Promise<number> => Number(((await net.server(server).hs.database.db('federation_outbound_queue').count({ n: '*' })) as Array<{ n: string }>)[0]!.n);

test.serial('EDUs and PDUs reach the destination, signed by the origin', async (t) => {
  await hs1().federation.enqueueEdu({ edu_type: 'org.hearth.test', content: { n: 'hello' } }, ['hs2.test', 'hs1.test']);
  await hs1().federation.enqueuePdu('$first', pdu('$first', '!r:hs1.test'), ['hs2.test']);
  await until(() => edusNamed('hello').length === 1 && allPdus().includes('$first'));
  t.deepEqual(got.edus.find((e) => e.n === 'hello'), { origin: 'hs1.test', n: 'hello' });
  await until(async () => (await queued('hs1.test')) === 0, 5000, 'the queue to empty');
  t.is(await queued('hs1.test'), 0, 'acknowledged items leave the queue');
});

test.serial('transactions carry at most 50 PDUs and 100 EDUs, and everything arrives once', async (t) => {
  const before = got.pduBatches.length;
  await Promise.all([
    ...Array.from({ length: 120 }, (_, i) => hs1().federation.enqueuePdu(`$batch${i}`, pdu(`$batch${i}`, `!room${i}:hs1.test`), ['hs2.test'])),
    ...Array.from({ length: 250 }, (_, i) => hs1().federation.enqueueEdu({ edu_type: 'org.hearth.test', content: { n: `batch${i}` } }, ['hs2.test'])),
  ]);
  await until(() => allPdus().filter((id) => id.startsWith('$batch')).length >= 120 && edusNamed('batch').length >= 250, 20_000, 'all items');
  const batches = got.pduBatches.slice(before);
  t.true(batches.every((b) => b.length <= 50), `batch sizes ${batches.map((b) => b.length).join(',')}`);
  t.is(new Set(allPdus().filter((id) => id.startsWith('$batch'))).size, 120);
  t.is(allPdus().filter((id) => id.startsWith('$batch')).length, 120, 'no PDU twice');
  t.is(edusNamed('batch').length, 250, 'no EDU twice (hs2 refuses transactions of more than 100)');
});

test.serial('a peer that is down: backoff, then catch-up with only the newest PDU per room', async (t) => {
  const hs2 = net.server('hs2.test');
  await hs2.stop();
  // The first attempt's transaction is fixed: it is retried as it is until acknowledged.
  await hs1().federation.enqueuePdu('$a0', pdu('$a0', '!a:hs1.test'), ['hs2.test']);
  await until(async () => (await failuresOf('hs1.test', 'hs2.test')) >= 2, 10_000, 'retries to fail');
  // What arrives during the outage is only summed up once the peer is back.
  for (const id of ['$a1', '$a2', '$a3', '$b1', '$b2']) await hs1().federation.enqueuePdu(id, pdu(id, id.startsWith('$a') ? '!a:hs1.test' : '!b:hs1.test'), ['hs2.test']);
  for (const n of ['down1', 'down2']) await hs1().federation.enqueueEdu({ edu_type: 'org.hearth.test', content: { n } }, ['hs2.test']);
  await new Promise((r) => setTimeout(r, 500));
  const failures = await failuresOf('hs1.test', 'hs2.test');
  t.true(failures < 15, `${failures} attempts in a short outage: the backoff works`);

  await hs2.start();
  await until(() => allPdus().includes('$a3') && allPdus().includes('$b2') && edusNamed('down').length === 2, 10_000, 'catch-up');
  t.true(allPdus().includes('$a0'), 'the transaction already built went out as it was');
  t.false(allPdus().includes('$a1') || allPdus().includes('$a2') || allPdus().includes('$b1'), 'older PDUs of a room are left to /get_missing_events');
  t.deepEqual(edusNamed('down'), ['down1', 'down2'], 'EDUs are all delivered, in order');
  await until(async () => {
    const row = (await hs1().database.db('federation_destinations').where({ destination: 'hs2.test' }).first('failures', 'catching_up')) as { failures: number; catching_up: boolean };
    return row.failures === 0 && !row.catching_up;
  }, 5000, 'the catch-up to end');
  await hs1().federation.enqueuePdu('$c1', pdu('$c1', '!c:hs1.test'), ['hs2.test']);
  await hs1().federation.enqueuePdu('$c2', pdu('$c2', '!c:hs1.test'), ['hs2.test']);
  await until(() => allPdus().includes('$c2'));
  t.true(allPdus().includes('$c1'), 'back to normal: every PDU is sent again');
});

test.serial('items queued before the sender restarts are delivered after it', async (t) => {
  const server1 = net.server('hs1.test');
  const hs2 = net.server('hs2.test');
  await hs2.stop();
  await server1.hs.federation.enqueueEdu({ edu_type: 'org.hearth.test', content: { n: 'durable1' } }, ['hs2.test']);
  await server1.hs.federation.enqueuePdu('$durable', pdu('$durable', '!d:hs1.test'), ['hs2.test']);
  await until(async () => (await failuresOf('hs1.test', 'hs2.test')) >= 1, 10_000, 'a failed attempt');
  await server1.stop();
  await hs2.start();
  t.deepEqual(edusNamed('durable'), []);
  await server1.start();
  await until(() => edusNamed('durable').length === 1 && allPdus().includes('$durable'), 10_000, 'delivery after the restart');
  t.pass();
});

test.serial('a transaction whose answer was lost is sent again with its ID and not processed twice', async (t) => {
  stall.add('$slow');
  await hs1().federation.enqueuePdu('$slow', pdu('$slow', '!s:hs1.test'), ['hs2.test']);
  await hs1().federation.enqueueEdu({ edu_type: 'org.hearth.test', content: { n: 'once' } }, ['hs2.test']);
  // hs2 takes 1.5 s; hs1 gives up after 1 s and retries the same transaction.
  await until(async () => (await failuresOf('hs1.test', 'hs2.test')) >= 1, 5000, 'the timeout');
  await until(() => allPdus().includes('$slow'), 10_000);
  await until(async () => (await queued('hs1.test')) === 0, 10_000, 'the acknowledgement');
  t.is(allPdus().filter((id) => id === '$slow').length, 1);
  t.deepEqual(edusNamed('once'), ['once']);
  const txns = (await net.server('hs2.test').hs.database.db('federation_inbound_transactions').where({ origin: 'hs1.test' }).select('txn_id')) as Array<{ txn_id: string }>;
  t.is(new Set(txns.map((r) => r.txn_id)).size, txns.length);
});

test.serial('a request from a peer we are backing off from makes us retry at once', async (t) => {
  const hs2 = net.server('hs2.test');
  const hs3 = net.server('hs3.test');
  await hs2.stop();
  await hs3.hs.federation.enqueueEdu({ edu_type: 'org.hearth.test', content: { n: 'woken' } }, ['hs2.test']);
  await until(async () => (await failuresOf('hs3.test', 'hs2.test')) >= 1, 5000, 'a failure');
  await hs2.start();
  // hs3 would wait ten minutes; hs2 talking to it shows it is back.
  await hs2.hs.federation.client.requestJson('hs3.test', { method: 'PUT', path: '/_matrix/federation/v1/send/hello-from-hs2', body: { origin: 'hs2.test', origin_server_ts: Date.now(), pdus: [] }, timeoutMs: 10_000 });
  await until(() => edusNamed('woken').length === 1, 5000, 'the woken sender');
  t.pass();
});

test.serial('metrics: queue depth per destination and transaction outcomes', async (t) => {
  const hs2 = net.server('hs2.test');
  await hs2.stop();
  await hs1().federation.enqueueEdu({ edu_type: 'org.hearth.test', content: { n: 'metric' } }, ['hs2.test']);
  await until(async () => (await failuresOf('hs1.test', 'hs2.test')) >= 1, 5000, 'a failure');
  const text = await (await fetch(hs1().metricsUrl!)).text();
  t.regex(text, /hearth_federation_queue_depth\{destination="hs2\.test"\} [1-9]/);
  t.regex(text, /hearth_federation_transactions_total\{outcome="sent"\} [1-9]/);
  t.regex(text, /hearth_federation_transactions_total\{outcome="failed"\} [1-9]/);
  t.regex(text, /hearth_federation_sent_edus_total [1-9]/);
  await hs2.start();
  await until(() => edusNamed('metric').length === 1, 5000);
});
