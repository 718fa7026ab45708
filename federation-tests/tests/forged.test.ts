import test from 'ava';
import { generateSigningKey, publicKeyFromSeed } from '../../homeserver/src/core/signing.js';
import { ActingServer, readSigningKey, requireRoomVersion, type PduTemplate } from '../harness/as-server.js';
import { useNetwork } from '../harness/ava.js';
import { Prerequisite, registerCast } from '../harness/cast.js';
import type { MatrixUser } from '../harness/client.js';
import { waitForMembers } from '../harness/rooms.js';
import type { ClientEvent } from '../harness/sync-view.js';

/**
 * Events a misbehaving hs1 pushes to hs2 with a correctly signed `/send` request: the test process
 * speaks as hs1 with hs1's own signing key. A well-formed event in the same transaction is taken,
 * proving the harness builds real PDUs; the forged ones get a per-PDU error and never reach
 * hs2's clients. An event whose content does not match its hash is, as the spec asks, redacted
 * rather than rejected: its forged content must never show either.
 */

const network = useNetwork(test);
let alice: MatrixUser; // hs1.test
let bob: MatrixUser; // hs2.test, creator of the room
let carol: MatrixUser; // hs3.test
const room = new Prerequisite<string>('the room of bob with alice and carol');

test.before(async () => {
  ({ alice, bob, carol } = await registerCast(network(), { alice: 'hs1.test', bob: 'hs2.test', carol: 'hs3.test' }));
});

test.serial('bob (hs2) has a public room that alice (hs1) and carol (hs3) joined', async (t) => {
  const roomId = await room.establish(async () => {
    const roomId = await bob.createRoom({ preset: 'public_chat' });
    await alice.join(roomId, ['hs2.test']);
    await carol.join(roomId, ['hs2.test']);
    await waitForMembers(roomId, [alice, bob, carol]);
    return roomId;
  });
  t.truthy(roomId);
});

const FORGED = 'FORGED';
const hasForgedText = (e: ClientEvent): boolean => JSON.stringify(e.content ?? {}).includes(FORGED);

test.serial('forged events in a signed transaction are refused one by one and never reach clients', async (t) => {
  const roomId = room.get();
  const hs2 = network().server('hs2.test');
  const hs1 = new ActingServer(readSigningKey(network().server('hs1.test')));

  // What hs1 knows of the room: its state and its latest event, as hs2 serves them.
  const state = await bob.roomState(roomId);
  const id = (type: string, key = ''): string => {
    const e = state.find((s) => s.type === type && s.state_key === key);
    if (!e?.event_id) throw new Error(`no ${type} ${key} in the room state`);
    return e.event_id;
  };
  const create = state.find((e) => e.type === 'm.room.create')!;
  const rv = requireRoomVersion(create.content['room_version'] ?? '1');
  const powerLevels = state.find((e) => e.type === 'm.room.power_levels')!.content;
  const latest = (await bob.messages(roomId, { dir: 'b', limit: 1 })).chunk[0]!.event_id!;
  const depth = (await hs1.fetchEvent(hs2, latest))['depth'] as number;
  const base = { room_id: roomId, prev_events: [latest], depth: depth + 1 };
  const message = (sender: string, body: string, auth_events: string[]): PduTemplate => ({
    ...base, sender, type: 'm.room.message', content: { msgtype: 'm.text', body }, auth_events,
  });
  const asAlice = [id('m.room.create'), id('m.room.power_levels'), id('m.room.member', alice.userId)];

  const control = hs1.signPdu(message(alice.userId, 'a real message built by the harness', asAlice), rv);

  // Signed with a key that is not hs1's, under hs1's key ID.
  const stranger = generateSigningKey();
  const impostor = new ActingServer({ ...hs1.key, seed: stranger.seed, publicKey: publicKeyFromSeed(stranger.seed) });
  const badSignature = impostor.signPdu(message(alice.userId, `${FORGED}: not signed by hs1`, asAlice), rv);

  // Signed, then the content changed: the signature (over the redacted event) still holds, the hash does not.
  const signed = hs1.signPdu(message(alice.userId, 'what hs1 signed', asAlice), rv);
  const wrongHash = { eventId: signed.eventId, pdu: { ...signed.pdu, content: { msgtype: 'm.text', body: `${FORGED}: changed after signing` } } };

  // hs1 speaking for a user of hs3: only hs1 signed it.
  const otherServer = hs1.signPdu(message(carol.userId, `${FORGED}: carol never said this`, [id('m.room.create'), id('m.room.power_levels'), id('m.room.member', carol.userId)]), rv);

  // Alice (power 0) making herself an admin.
  const usurp = hs1.signPdu(
    {
      ...base,
      sender: alice.userId,
      type: 'm.room.power_levels',
      state_key: '',
      content: { ...powerLevels, users: { ...powerLevels['users'], [alice.userId]: 100 }, [FORGED]: true },
      auth_events: asAlice,
    },
    rv,
  );

  // A user of hs1 who never joined.
  const outsider = hs1.signPdu(message('@mallory:hs1.test', `${FORGED}: from outside the room`, [id('m.room.create'), id('m.room.power_levels')]), rv);

  const refused = { badSignature, otherServer, usurp, outsider };
  const res = await hs1.sendTransaction(hs2, [control, badSignature, wrongHash, otherServer, usurp, outsider].map((p) => p.pdu));
  t.is(res.status, 200, JSON.stringify(res.body));
  const results = res.body?.pdus ?? {};
  t.deepEqual(results[control.eventId], {}, `the well-formed event is accepted: ${JSON.stringify(results)}`);
  for (const [what, p] of Object.entries(refused)) {
    t.is(typeof results[p.eventId]?.error, 'string', `${what}: a per-PDU error (${JSON.stringify(results[p.eventId])})`);
  }

  // Bob sees the control event; by then hs2 has handled the whole transaction.
  await bob.waitForEvent(roomId, 'the harness control event', (e) => e.event_id === control.eventId);
  await bob.syncOnce(0);
  const synced = bob.view.room(roomId)!.timeline;
  const history = await bob.history(roomId);
  for (const [where, events] of [['/sync', synced], ['/messages', history]] as const) {
    t.deepEqual(events.filter(hasForgedText), [], `no forged content in ${where}`);
    for (const [what, p] of Object.entries(refused)) {
      t.false(events.some((e) => e.event_id === p.eventId), `${what} is not in ${where}`);
    }
  }
  for (const [what, p] of Object.entries(refused)) {
    const r = await bob.request('GET', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/event/${encodeURIComponent(p.eventId)}`);
    t.is(r.status, 404, `${what} cannot be fetched by id`);
  }
  const hashed = await bob.request('GET', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/event/${encodeURIComponent(wrongHash.eventId)}`);
  if (hashed.status === 200) t.false(hasForgedText(hashed.body), 'an event failing its hash check is served redacted');
  t.is((await bob.getState(roomId, 'm.room.power_levels'))?.users?.[alice.userId] ?? 0, 0, 'alice did not become an admin');
});
