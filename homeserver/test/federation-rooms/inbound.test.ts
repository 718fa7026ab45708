import test from 'ava';
import { C, enc, newUser, until, type FederationNetwork, type TestUser } from '../federation-edus/helpers.js';
import { txn } from '../helpers/client.js';
import { forge, forgeNext, push, roomTips, withSharedRoom } from './forge.js';

let net: FederationNetwork;
let alice: TestUser;
let bob: TestUser;
let roomId: string;

withSharedRoom(test, (room) => ({ net, alice, bob, roomId } = room));

async function messagesOnHs1(): Promise<any[]> {
  return (await alice.call('GET', `${C}/rooms/${enc(roomId)}/messages?dir=b&limit=100`)).body.chunk;
}

async function message(from: string, sender: string, body: string, extra: Record<string, unknown> = {}) {
  const tips = await roomTips(net, 'hs1.test', roomId);
  return forge(net, from, {
    room_id: roomId,
    type: 'm.room.message',
    sender,
    content: { msgtype: 'm.text', body },
    prev_events: tips.prev,
    auth_events: [tips.state('m.room.create'), tips.state('m.room.power_levels'), tips.state('m.room.member', sender)],
    depth: tips.depth + 1,
    ...extra,
  });
}

test.serial('a correctly signed event of a member is accepted and shown', async (t) => {
  const e = await message('hs2.test', bob.userId, 'signed and sound');
  const results = await push(net, 'hs2.test', 'hs1.test', [e.pdu]);
  t.deepEqual(results[e.eventId], {});
  t.truthy((await messagesOnHs1()).find((m) => m.event_id === e.eventId && m.content.body === 'signed and sound'));
});

test.serial('a bad signature is rejected and the event never shown', async (t) => {
  const e = await message('hs2.test', bob.userId, 'tampered');
  // Changing a signed field after signing breaks the signature (and the event ID changes with it).
  const tampered = { ...e.pdu, origin_server_ts: (e.pdu.origin_server_ts as number) + 1 };
  const results = await push(net, 'hs2.test', 'hs1.test', [tampered]);
  const [id, result] = Object.entries(results)[0]!;
  t.regex(result.error ?? '', /signature/);
  t.falsy((await messagesOnHs1()).find((m) => m.event_id === id));
});

test.serial('a content hash mismatch keeps only the redacted event', async (t) => {
  const e = await message('hs2.test', bob.userId, 'original words');
  // Content is not covered by the signature (it is redacted away) but is by the hash.
  const altered = { ...e.pdu, content: { msgtype: 'm.text', body: 'altered words' } };
  const results = await push(net, 'hs2.test', 'hs1.test', [altered]);
  t.deepEqual(results[e.eventId], {});
  const shown = (await messagesOnHs1()).find((m) => m.event_id === e.eventId);
  t.truthy(shown);
  t.deepEqual(shown.content, {});
});

test.serial("an event whose sender belongs to another server than its signer is rejected", async (t) => {
  const e = await message('hs2.test', alice.userId, 'pretending to be alice');
  const results = await push(net, 'hs2.test', 'hs1.test', [e.pdu]);
  t.regex(results[e.eventId]?.error ?? '', /signature/);
  t.falsy((await messagesOnHs1()).find((m) => m.event_id === e.eventId));
});

test.serial('an unauthorised state change is rejected and the state stays', async (t) => {
  const tips = await roomTips(net, 'hs1.test', roomId);
  const e = forgeNext(net, 'hs2.test', tips, roomId, bob.userId, { type: 'm.room.power_levels', state_key: '', content: { users: { [bob.userId]: 100 } } });
  const results = await push(net, 'hs2.test', 'hs1.test', [e.pdu]);
  t.regex(results[e.eventId]?.error ?? '', /auth events|state before/);
  const pl = await alice.call('GET', `${C}/rooms/${enc(roomId)}/state/m.room.power_levels/`);
  t.not(pl.body.users?.[bob.userId], 100);
  const sync = await alice.call('GET', `${C}/sync?timeout=0`);
  t.falsy(JSON.stringify(sync.body).includes(e.eventId));
});

test.serial("a transaction's events move the room's forward extremities as they would one by one", async (t) => {
  const db = net.server('hs1.test').hs.database.db;
  const stored = async (): Promise<string[]> => ((await db('room_forward_extremities').where('room_id', roomId).orderBy('event_id')) as Array<{ event_id: string }>).map((r) => r.event_id);
  const text = (body: string) => ({ type: 'm.room.message', content: { msgtype: 'm.text', body } });
  const tips = await roomTips(net, 'hs1.test', roomId);
  // Two events on the same tips: the room forks.
  const a = forgeNext(net, 'hs2.test', tips, roomId, bob.userId, text('fork a'));
  const b = forgeNext(net, 'hs2.test', tips, roomId, bob.userId, text('fork b'));
  t.deepEqual(await push(net, 'hs2.test', 'hs1.test', [a.pdu, b.pdu]), { [a.eventId]: {}, [b.eventId]: {} });
  t.deepEqual(await stored(), [a.eventId, b.eventId].sort());
  // One event merges the fork, a rejected one sits in between, and one more builds on the merge.
  const merged = { ...tips, prev: [a.eventId, b.eventId], depth: tips.depth + 1 };
  const c = forgeNext(net, 'hs2.test', merged, roomId, bob.userId, text('merge'));
  const refused = forgeNext(net, 'hs2.test', merged, roomId, bob.userId, { type: 'm.room.power_levels', state_key: '', content: { users: { [bob.userId]: 100 } } });
  const d = forgeNext(net, 'hs2.test', { ...merged, prev: [c.eventId], depth: merged.depth + 1 }, roomId, bob.userId, text('after the merge'));
  const results = await push(net, 'hs2.test', 'hs1.test', [c.pdu, refused.pdu, d.pdu]);
  t.deepEqual([results[c.eventId], results[d.eventId]], [{}, {}]);
  t.truthy(results[refused.eventId]?.error);
  t.deepEqual(await stored(), [d.eventId]);
  // What hs1 sends next builds on the same tip the database holds.
  const sent = await alice.call('PUT', `${C}/rooms/${enc(roomId)}/send/m.room.message/${txn()}`, { msgtype: 'm.text', body: 'on top' });
  const next = await db('events').where('event_id', sent.body.event_id).first();
  t.deepEqual(JSON.parse(next.json).prev_events, [d.eventId]);
  t.deepEqual(await stored(), [sent.body.event_id]);
});

test.serial("a transaction's state changes, relations and redactions, in two rooms, are stored as one by one would store them", async (t) => {
  const db = net.server('hs1.test').hs.database.db;
  const other = (await alice.call('POST', `${C}/createRoom`, { preset: 'public_chat' })).body.room_id as string;
  t.is((await bob.call('POST', `${C}/join/${enc(other)}?via=hs1.test`, {})).status, 200);
  const text = (body: string) => ({ type: 'm.room.message', content: { msgtype: 'm.text', body } });
  type Tips = Awaited<ReturnType<typeof roomTips>>;
  const after = (tips: Tips, e: { eventId: string }): Tips => ({ ...tips, prev: [e.eventId], depth: tips.depth + 1 });

  let tips = await roomTips(net, 'hs1.test', roomId);
  const first = forgeNext(net, 'hs2.test', tips, roomId, bob.userId, text('to be redacted'));
  t.deepEqual(await push(net, 'hs2.test', 'hs1.test', [first.pdu]), { [first.eventId]: {} });
  tips = after(tips, first);
  const reaction = forgeNext(net, 'hs2.test', tips, roomId, bob.userId, { type: 'm.reaction', content: { 'm.relates_to': { rel_type: 'm.annotation', event_id: first.eventId, key: '👍' } } });
  tips = after(tips, reaction);
  const renamed = forge(net, 'hs2.test', {
    room_id: roomId,
    sender: bob.userId,
    type: 'm.room.member',
    state_key: bob.userId,
    content: { membership: 'join', displayname: 'Bob Batched' },
    prev_events: tips.prev,
    auth_events: [tips.state('m.room.create'), tips.state('m.room.power_levels'), tips.state('m.room.join_rules'), tips.state('m.room.member', bob.userId)],
    depth: tips.depth + 1,
  });
  tips = after(tips, renamed);
  const redaction = forgeNext(net, 'hs2.test', tips, roomId, bob.userId, { type: 'm.room.redaction', content: { redacts: first.eventId } });
  const elsewhere = forgeNext(net, 'hs2.test', await roomTips(net, 'hs1.test', other), other, bob.userId, text('in the other room'));

  // The event held already comes again with the new ones.
  const all = [first, reaction, renamed, redaction, elsewhere];
  const results = await push(net, 'hs2.test', 'hs1.test', all.map((e) => e.pdu));
  t.deepEqual(results, Object.fromEntries(all.map((e) => [e.eventId, {}])));

  t.is(((await db('events').where('event_id', first.eventId)) as unknown[]).length, 1);
  t.like(await db('event_relations').where('event_id', reaction.eventId).first(), { relates_to: first.eventId, rel_type: 'm.annotation', aggregation_key: '👍' });
  t.like(await db('redactions').where('event_id', redaction.eventId).first(), { redacts: first.eventId });
  t.like(await db('current_state').where({ room_id: roomId, type: 'm.room.member', state_key: bob.userId }).first(), { event_id: renamed.eventId });
  t.like(await db('room_memberships').where({ room_id: roomId, user_id: bob.userId }).first(), { event_id: renamed.eventId, membership: 'join' });
  t.deepEqual(((await db('room_forward_extremities').where('room_id', roomId)) as Array<{ event_id: string }>).map((r) => r.event_id), [redaction.eventId]);
  const member = await alice.call('GET', `${C}/rooms/${enc(roomId)}/state/m.room.member/${enc(bob.userId)}`);
  t.is(member.body.displayname, 'Bob Batched');
  const shown = (await messagesOnHs1()).find((m) => m.event_id === first.eventId);
  t.deepEqual(shown?.content, {});
  const otherPage = (await alice.call('GET', `${C}/rooms/${enc(other)}/messages?dir=b&limit=10`)).body.chunk as Array<{ event_id: string }>;
  t.truthy(otherPage.find((m) => m.event_id === elsewhere.eventId));
});

test.serial("a transaction's batch that the database refuses leaves nothing behind, and its events are taken one by one", async (t) => {
  const db = net.server('hs1.test').hs.database.db;
  // The search index refuses one event's entry, which comes after the batch's event rows; a
  // sequence, which no rollback undoes, counts the tries to store another event's row.
  await db.raw('CREATE SEQUENCE probe_tries');
  await db.raw(`CREATE FUNCTION probe_events() RETURNS trigger AS $$ BEGIN
    IF NEW.json LIKE '%counted-try%' THEN PERFORM nextval('probe_tries'); END IF;
    RETURN NEW; END $$ LANGUAGE plpgsql`);
  await db.raw(`CREATE FUNCTION probe_search() RETURNS trigger AS $$ BEGIN
    IF NEW.vector::text LIKE '%poison%' THEN RAISE EXCEPTION 'refused by the test'; END IF;
    RETURN NEW; END $$ LANGUAGE plpgsql`);
  await db.raw('CREATE TRIGGER probe_events BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION probe_events()');
  await db.raw('CREATE TRIGGER probe_search BEFORE INSERT ON event_search FOR EACH ROW EXECUTE FUNCTION probe_search()');
  t.teardown(async () => {
    await db.raw('DROP TRIGGER IF EXISTS probe_events ON events');
    await db.raw('DROP TRIGGER IF EXISTS probe_search ON event_search');
    await db.raw('DROP FUNCTION IF EXISTS probe_events()');
    await db.raw('DROP FUNCTION IF EXISTS probe_search()');
    await db.raw('DROP SEQUENCE IF EXISTS probe_tries');
  });
  const text = (body: string) => ({ type: 'm.room.message', content: { msgtype: 'm.text', body } });
  const tips = await roomTips(net, 'hs1.test', roomId);
  const first = forgeNext(net, 'hs2.test', tips, roomId, bob.userId, text('counted-try'));
  const onFirst = { ...tips, prev: [first.eventId], depth: tips.depth + 1 };
  const poison = forgeNext(net, 'hs2.test', onFirst, roomId, bob.userId, text('poison'));
  const last = forgeNext(net, 'hs2.test', onFirst, roomId, bob.userId, text('after the refused one'));

  const results = await push(net, 'hs2.test', 'hs1.test', [first.pdu, poison.pdu, last.pdu]);
  t.deepEqual([results[first.eventId], results[last.eventId]], [{}, {}]);
  t.regex(results[poison.eventId]?.error ?? '', /internal error/);
  // Stored by the batch, which was then undone as a whole, and once more on its own.
  t.is(Number(((await db.raw('SELECT last_value FROM probe_tries')) as { rows: Array<{ last_value: string }> }).rows[0]!.last_value), 2);
  t.is(((await db('events').whereIn('event_id', [first.eventId, last.eventId])) as unknown[]).length, 2);
  t.falsy(await db('events').where('event_id', poison.eventId).first());
  const shown = (await messagesOnHs1()).map((m) => m.event_id);
  t.true(shown.includes(first.eventId) && shown.includes(last.eventId));
});

test.serial('an event allowed by its own history but not by the current state is soft-failed: stored, not shown', async (t) => {
  const tips = await roomTips(net, 'hs1.test', roomId);
  // bob is banned now; his next event still cites the state before the ban.
  const banned = await alice.call('POST', `${C}/rooms/${enc(roomId)}/ban`, { user_id: bob.userId });
  t.is(banned.status, 200);
  const e = forgeNext(net, 'hs2.test', tips, roomId, bob.userId, { type: 'm.room.message', content: { msgtype: 'm.text', body: 'from before the ban' } });
  const results = await push(net, 'hs2.test', 'hs1.test', [e.pdu]);
  t.deepEqual(results[e.eventId], {});
  const row = await net.server('hs1.test').hs.database.db('events').where('event_id', e.eventId).first();
  t.true(row.soft_failed);
  t.falsy((await messagesOnHs1()).find((m) => m.event_id === e.eventId));
  // alice's next event does not build on it.
  const sent = await alice.call('PUT', `${C}/rooms/${enc(roomId)}/send/m.room.message/${txn()}`, { msgtype: 'm.text', body: 'after' });
  const next = await net.server('hs1.test').hs.database.db('events').where('event_id', sent.body.event_id).first();
  t.false(JSON.parse(next.json).prev_events.includes(e.eventId));
});

test.serial('a gap before an event is filled from its origin with get_missing_events', async (t) => {
  const carol = await newUser(net.server('hs2.test'), 'carol');
  const room = (await alice.call('POST', `${C}/createRoom`, { preset: 'public_chat' })).body.room_id as string;
  t.is((await carol.call('POST', `${C}/join/${enc(room)}?via=hs1.test`, {})).status, 200);
  await until(async () => (await net.server('hs1.test').hs.database.db('room_memberships').where({ room_id: room, user_id: carol.userId }).first())?.membership === 'join');
  const tips = await roomTips(net, 'hs2.test', room);
  const auth = [tips.state('m.room.create'), tips.state('m.room.power_levels'), tips.state('m.room.member', carol.userId)];
  const first = forge(net, 'hs2.test', { room_id: room, type: 'm.room.message', sender: carol.userId, content: { msgtype: 'm.text', body: 'first' }, prev_events: tips.prev, auth_events: auth, depth: tips.depth + 1 });
  const second = forge(net, 'hs2.test', { room_id: room, type: 'm.room.message', sender: carol.userId, content: { msgtype: 'm.text', body: 'second' }, prev_events: [first.eventId], auth_events: auth, depth: tips.depth + 2 });
  // hs2 holds both (events received over federation are never sent on); hs1 is only told of the second.
  t.deepEqual((await push(net, 'hs2.test', 'hs2.test', [first.pdu, second.pdu]))[second.eventId], {});
  t.falsy(await net.server('hs1.test').hs.database.db('events').where('event_id', first.eventId).first());
  t.deepEqual((await push(net, 'hs2.test', 'hs1.test', [second.pdu]))[second.eventId], {});
  const bodies = ((await alice.call('GET', `${C}/rooms/${enc(room)}/messages?dir=b&limit=10`)).body.chunk as any[]).map((e) => e.content.body).filter(Boolean);
  t.deepEqual(bodies.slice(0, 2), ['second', 'first']);
});
