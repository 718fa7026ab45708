import test from 'ava';
import type Router from '@koa/router';
import type { JsonObject } from '../../src/core/json.js';
import { requireServerAcl, requireServerAuth, getOrigin } from '../../src/components/federation/auth/middleware.js';
import type { RequestAuthenticator } from '../../src/components/federation/auth/request-auth.js';
import { startStack } from '../helpers/app.js';
import { federationRequest, signedBy, startFederation, type FederationNetwork } from '../helpers/federation.js';

/** hs2 receives; hs1 and hs3 send. hs2's handlers record what they are given. */
const pduCalls: Array<{ origin: string; ids: string[] }> = [];
const edus: Array<{ type: string; origin: string; content: JsonObject }> = [];
const denied = new Set(['!denied:hs2.test']);

let net: FederationNetwork;
test.before(async () => {
  net = await startFederation(['hs1.test', 'hs2.test', 'hs3.test']);
  const fed = net.server('hs2.test').hs.federation;
  fed.setInboundPduHandler({
    async handlePdus(origin, pdus) {
      const ids = pdus.map((p) => String(p['event_id']));
      pduCalls.push({ origin, ids });
      return new Map(ids.map((id) => [id, id.includes('bad') ? { error: 'Rejected by the test' } : {}]));
    },
  });
  for (const type of ['m.typing', 'm.receipt', 'org.hearth.test']) {
    fed.registerEduHandler(type, (origin, content) => {
      edus.push({ type, origin, content });
    });
  }
  fed.setServerAclCheck(async (roomId, server) => !(denied.has(roomId) && server === 'hs1.test'));
});
test.after.always(() => net?.close());

let n = 0;
async function send(from: string, body: unknown, txnId = `t${++n}`) {
  const path = `/_matrix/federation/v1/send/${txnId}`;
  return federationRequest(net.server('hs2.test'), net.ca, { method: 'PUT', path, body, authorization: signedBy(net.server(from), net.server('hs2.test'), { method: 'PUT', path, body }) });
}
const txn = (pdus: unknown[], edusList?: unknown[]) => ({ origin: 'hs1.test', origin_server_ts: Date.now(), pdus, ...(edusList ? { edus: edusList } : {}) });
const fakePdu = (id: string) => ({ event_id: id, room_id: '!r:hs2.test', type: 'm.room.message' });

test.serial('PDUs go to the room layer; the answer reports each by event ID', async (t) => {
  const res = await send('hs1.test', txn([fakePdu('$ok'), fakePdu('$bad'), 'not an object']));
  t.is(res.status, 200);
  t.deepEqual(res.body, { pdus: { $ok: {}, $bad: { error: 'Rejected by the test' } } });
  t.deepEqual(pduCalls.at(-1), { origin: 'hs1.test', ids: ['$ok', '$bad'] });
});

test.serial('a transaction sent again is answered from the record, not processed again; IDs are per origin', async (t) => {
  const calls = pduCalls.length;
  const first = await send('hs1.test', txn([fakePdu('$dup')], [{ edu_type: 'org.hearth.test', content: { n: 'dup' } }]), 'same-id');
  const again = await send('hs1.test', txn([fakePdu('$dup')], [{ edu_type: 'org.hearth.test', content: { n: 'dup' } }]), 'same-id');
  t.deepEqual(again.body, first.body);
  t.is(pduCalls.length, calls + 1);
  t.is(edus.filter((e) => e.content['n'] === 'dup').length, 1);
  const concurrent = await Promise.all([1, 2, 3].map(() => send('hs1.test', txn([fakePdu('$concurrent')]), 'concurrent-id')));
  t.true(concurrent.every((r) => r.status === 200));
  t.is(pduCalls.filter((c) => c.ids.includes('$concurrent')).length, 1, 'retries racing the first attempt wait for its answer');
  const other = await send('hs3.test', txn([fakePdu('$dup')]), 'same-id');
  t.is(other.status, 200);
  t.deepEqual(pduCalls.at(-1), { origin: 'hs3.test', ids: ['$dup'] });
});

test.serial('more than 50 PDUs or 100 EDUs, or lists that are not lists, are refused with 400', async (t) => {
  const calls = pduCalls.length;
  const many = await send('hs1.test', txn(Array.from({ length: 51 }, (_, i) => fakePdu(`$m${i}`))));
  t.is(many.status, 400);
  t.is(many.body.errcode, 'M_BAD_JSON');
  const manyEdus = await send('hs1.test', txn([], Array.from({ length: 101 }, () => ({ edu_type: 'org.hearth.test', content: {} }))));
  t.is(manyEdus.status, 400);
  t.is((await send('hs1.test', { pdus: 'nope' })).status, 400);
  t.is(pduCalls.length, calls);
  t.is((await send('hs1.test', txn(Array.from({ length: 50 }, (_, i) => fakePdu(`$fifty${i}`)), Array.from({ length: 100 }, () => ({ edu_type: 'x', content: {} }))))).status, 200);
  t.deepEqual((await send('hs1.test', { origin: 'hs1.test', origin_server_ts: 1 })).body, { pdus: {} }, 'no PDUs at all');
});

test.serial('EDUs are dispatched by type; unknown types and malformed EDUs are ignored', async (t) => {
  const before = edus.length;
  const res = await send('hs1.test', txn([], [
    { edu_type: 'org.hearth.test', content: { n: 'dispatched' } },
    { edu_type: 'org.unknown.type', content: {} },
    { edu_type: 'org.hearth.test' },
    { content: {} },
    'junk',
  ]));
  t.is(res.status, 200);
  t.deepEqual(edus.slice(before), [{ type: 'org.hearth.test', origin: 'hs1.test', content: { n: 'dispatched' } }]);
});

test.serial('server ACLs: typing in a room denying the origin is dropped, receipts are filtered room by room', async (t) => {
  const before = edus.length;
  await send('hs1.test', txn([], [
    { edu_type: 'm.typing', content: { room_id: '!denied:hs2.test', user_id: '@u:hs1.test', typing: true } },
    { edu_type: 'm.typing', content: { room_id: '!open:hs2.test', user_id: '@u:hs1.test', typing: true } },
    { edu_type: 'm.receipt', content: { '!denied:hs2.test': { 'm.read': {} }, '!open:hs2.test': { 'm.read': {} } } },
    { edu_type: 'm.receipt', content: { '!denied:hs2.test': { 'm.read': {} } } },
  ]));
  t.deepEqual(edus.slice(before).map((e) => [e.type, e.content]), [
    ['m.typing', { room_id: '!open:hs2.test', user_id: '@u:hs1.test', typing: true }],
    ['m.receipt', { '!open:hs2.test': { 'm.read': {} } }],
  ]);
  const fromHs3 = edus.length;
  await send('hs3.test', txn([], [{ edu_type: 'm.typing', content: { room_id: '!denied:hs2.test', user_id: '@u:hs3.test', typing: true } }]));
  t.is(edus.length, fromHs3 + 1, 'the ACL denies hs1 only');
});

test.serial('unknown federation endpoints answer 404 M_UNRECOGNIZED, wrong methods 405', async (t) => {
  const hs2 = net.server('hs2.test');
  const unknown = await federationRequest(hs2, net.ca, { method: 'GET', path: '/_matrix/federation/v1/nothing_here' });
  t.is(unknown.status, 404);
  t.is(unknown.body.errcode, 'M_UNRECOGNIZED');
  const wrong = await federationRequest(hs2, net.ca, { method: 'GET', path: '/_matrix/federation/v1/send/x' });
  t.is(wrong.status, 405);
  t.is(wrong.body.errcode, 'M_UNRECOGNIZED');
  const notJson = await send('hs1.test', 'not json');
  t.is(notJson.status, 400);
});

test('requireServerAcl: 403 M_FORBIDDEN when the room ACL denies the origin', async (t) => {
  const fakeAuth = { authenticate: async () => 'evil.test' } as unknown as RequestAuthenticator;
  const check = async (roomId: string, server: string) => !(roomId === '!locked:hs' && server === 'evil.test');
  const { url } = await startStack(t, (router: Router) => {
    router.get('/_matrix/federation/v1/state/:roomId', requireServerAuth(fakeAuth), requireServerAcl(() => check, (ctx) => ctx.params['roomId']), (ctx) => {
      ctx.body = { origin: getOrigin(ctx) };
    });
  });
  const locked = await fetch(`${url}/_matrix/federation/v1/state/${encodeURIComponent('!locked:hs')}`);
  t.is(locked.status, 403);
  t.is(((await locked.json()) as any).errcode, 'M_FORBIDDEN');
  const open = await fetch(`${url}/_matrix/federation/v1/state/${encodeURIComponent('!open:hs')}`);
  t.deepEqual(await open.json(), { origin: 'evil.test' });
});
