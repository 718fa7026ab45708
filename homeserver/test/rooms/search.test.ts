import test from 'ava';
import type { TestServer } from '../helpers/server.js';
import { createRoom, enc, join, registerUser, room, send, setState, startRoomsServer, text, txn, type TestUser } from './support.js';
import { startTestServer } from '../helpers/server.js';

const SEARCH = '/_matrix/client/v3/search';

async function search(user: TestUser, criteria: Record<string, unknown>, nextBatch?: string): Promise<any> {
  const res = await user.call('POST', nextBatch ? `${SEARCH}?next_batch=${enc(nextBatch)}` : SEARCH, { search_categories: { room_events: criteria } });
  if (res.status !== 200) throw new Error(`search: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.search_categories.room_events;
}

const ids = (re: any): string[] => re.results.map((r: any) => r.result.event_id);

/** The rooms test server, or one on the embedded database (an empty DATABASE_URL means PGlite). */
function server(t: Parameters<typeof startRoomsServer>[0], kind: 'default' | 'pglite'): Promise<TestServer> {
  if (kind === 'default') return startRoomsServer(t);
  return startTestServer(t, { HS_OPEN_REGISTRATION: '1', HS_RATE_LIMIT_REGISTER_BURST: '10000', DATABASE_URL: '' });
}

for (const kind of ['default', 'pglite'] as const) {
  test(`search finds words in the user's rooms only, in bodies, names and topics (${kind} database)`, async (t) => {
    const s = await server(t, kind);
    const alice = await registerUser(s, 'alice');
    const bob = await registerUser(s, 'bob');
    const garden = await createRoom(alice, { name: 'Garden planning', topic: 'Tomatoes and basil' });
    const landed = await send(alice, garden, text('The Martians have landed'));
    await send(alice, garden, text('Nothing to see here'));
    const louder = await send(alice, garden, text('MARTIANS again, louder'));
    await send(alice, garden, text('Grüße aus Köln'));
    // Encrypted events are opaque to the server: never found.
    await send(alice, garden, { algorithm: 'm.megolm.v1.aes-sha2', ciphertext: 'martians', sender_key: 'k', session_id: 's', device_id: 'D' }, 'm.room.encrypted');
    const bobs = await createRoom(bob);
    const bobsMartians = await send(bob, bobs, text('martians in the room of bob'));

    const found = await search(alice, { search_term: 'martians' });
    t.is(found.count, 2);
    t.deepEqual(ids(found).sort(), [landed, louder].sort());
    t.true(found.results.every((r: any) => r.result.room_id === garden && typeof r.rank === 'number' && r.rank > 0));
    t.true(found.highlights.includes('martians'));
    t.is(found.next_batch, undefined);
    t.deepEqual(ids(await search(bob, { search_term: 'martians' })), [bobsMartians]);

    // The last word matches as a prefix; the highlights name the words it matched.
    const prefix = await search(alice, { search_term: 'mart' });
    t.is(prefix.count, 2);
    t.true(prefix.highlights.includes('martians'));
    t.deepEqual(ids(await search(alice, { search_term: 'köln' })), ids(await search(alice, { search_term: 'KÖLN' })));
    t.is((await search(alice, { search_term: 'köln' })).count, 1);
    // Web-search syntax: phrases, excluded words, alternatives.
    t.deepEqual(ids(await search(alice, { search_term: '"have landed"' })), [landed]);
    t.deepEqual(ids(await search(alice, { search_term: 'martians -landed' })), [louder]);
    t.is((await search(alice, { search_term: 'landed or louder' })).count, 2);
    t.is((await search(alice, { search_term: '!!!' })).count, 0);

    // Names and topics, chosen by `keys`.
    const topic = await search(alice, { search_term: 'tomatoes' });
    t.deepEqual(topic.results.map((r: any) => r.result.type), ['m.room.topic']);
    t.is((await search(alice, { search_term: 'tomatoes', keys: ['content.body'] })).count, 0);
    const name = await search(alice, { search_term: 'garden', keys: ['content.name'] });
    t.deepEqual(name.results.map((r: any) => r.result.content.name), ['Garden planning']);
    // A topic's plain-text representation in m.topic is searched too.
    await setState(alice, garden, 'm.room.topic', { topic: 'Peppers', 'm.topic': { 'm.text': [{ mimetype: 'text/html', body: '<b>chillies</b>' }, { body: 'Peppers and chillies' }] } });
    t.is((await search(alice, { search_term: 'chillies', keys: ['content.topic'] })).count, 1);

    // A redacted event's words are gone.
    const redact = await alice.call('PUT', `${room(garden)}/redact/${enc(louder)}/${txn()}`, {});
    t.is(redact.status, 200);
    t.is((await search(alice, { search_term: 'louder' })).count, 0);
    t.deepEqual(ids(await search(alice, { search_term: 'martians' })), [landed]);
  });
}

test('search respects history visibility and membership', async (t) => {
  const s = await startRoomsServer(t);
  const alice = await registerUser(s, 'alice');
  const bob = await registerUser(s, 'bob');
  const joinedOnly = await createRoom(alice, { preset: 'public_chat', initial_state: [{ type: 'm.room.history_visibility', state_key: '', content: { history_visibility: 'joined' } }] });
  await send(alice, joinedOnly, text('secret before bob'));
  await join(bob, joinedOnly);
  const whileJoined = await send(alice, joinedOnly, text('secret while bob is here'));
  const shared = await createRoom(alice, { preset: 'public_chat' });
  const early = await send(alice, shared, text('secret in the shared room'));
  await join(bob, shared);

  // With `joined` visibility bob finds nothing from before he joined; with `shared` he does.
  const found = await search(bob, { search_term: 'secret', order_by: 'recent' });
  t.deepEqual(ids(found), [early, whileJoined]);
  t.is(found.count, 2);

  // After leaving, what he could see stays findable; what came later is not.
  t.is((await bob.call('POST', `${room(joinedOnly)}/leave`, {})).status, 200);
  await send(alice, joinedOnly, text('secret after bob left'));
  t.deepEqual(ids(await search(bob, { search_term: 'secret', order_by: 'recent' })), [early, whileJoined]);
  // A forgotten room is not searched any more.
  t.is((await bob.call('POST', `${room(joinedOnly)}/forget`, {})).status, 200);
  t.deepEqual(ids(await search(bob, { search_term: 'secret' })), [early]);

  // Someone never in the rooms finds nothing, even in a public room.
  const carol = await registerUser(s, 'carol');
  t.is((await search(carol, { search_term: 'secret' })).count, 0);
  // An invite alone is not membership.
  t.is((await alice.call('POST', `${room(shared)}/invite`, { user_id: carol.userId })).status, 200);
  t.is((await search(carol, { search_term: 'secret' })).count, 0);
});

test('search filters, orders and pages', async (t) => {
  const s = await startRoomsServer(t);
  const alice = await registerUser(s, 'alice');
  const bob = await registerUser(s, 'bob');
  const one = await createRoom(alice, { preset: 'public_chat' });
  const two = await createRoom(alice, { preset: 'public_chat' });
  await join(bob, one);
  const sent: string[] = [];
  for (let i = 0; i < 7; i++) sent.push(await send(alice, one, text(`apple number ${i}`)));
  const bobApple = await send(bob, one, text('apple from bob'));
  const notice = await send(alice, one, { msgtype: 'm.notice', body: 'apple notice' }, 'm.room.message');
  const inTwo = await send(alice, two, text('apple apple apple, the best apple'));
  const withUrl = await send(alice, two, { msgtype: 'm.image', body: 'apple photo', url: 'mxc://hs.test/apple' });
  const all = [...sent, bobApple, notice, inTwo, withUrl];

  // Filters: rooms, not_rooms, senders, not_senders, types, contains_url.
  t.deepEqual(ids(await search(alice, { search_term: 'apple', filter: { rooms: [two] } })).sort(), [inTwo, withUrl].sort());
  t.is((await search(alice, { search_term: 'apple', filter: { not_rooms: [two] } })).count, 9);
  t.deepEqual(ids(await search(alice, { search_term: 'apple', filter: { senders: [bob.userId] } })), [bobApple]);
  t.is((await search(alice, { search_term: 'apple', filter: { not_senders: [bob.userId] } })).count, 10);
  t.is((await search(alice, { search_term: 'apple', filter: { types: ['m.room.*'] } })).count, 11);
  t.is((await search(alice, { search_term: 'apple', filter: { types: ['m.sticker'] } })).count, 0);
  t.is((await search(alice, { search_term: 'apple', filter: { not_types: ['m.room.message'] } })).count, 0);
  t.deepEqual(ids(await search(alice, { search_term: 'apple', filter: { contains_url: true } })), [withUrl]);
  t.is((await search(alice, { search_term: 'apple', filter: { rooms: [] } })).count, 0);

  // `recent`: newest first. `rank`: the message saying "apple" four times first.
  const recent = await search(alice, { search_term: 'apple', order_by: 'recent', filter: { limit: 20 } });
  t.deepEqual(ids(recent), [...all].reverse());
  const ranked = await search(alice, { search_term: 'apple', order_by: 'rank', filter: { limit: 20 } });
  t.is(ids(ranked)[0], inTwo);
  const ranks = ranked.results.map((r: any) => r.rank as number);
  t.deepEqual(ranks, [...ranks].sort((a, b) => b - a));

  // Pages of 3 in both orders: each result once, in the same order as one big page.
  for (const order of ['recent', 'rank'] as const) {
    const seen: string[] = [];
    let next: string | undefined;
    let pages = 0;
    do {
      const page = await search(alice, { search_term: 'apple', order_by: order, filter: { limit: 3 } }, next);
      t.true(page.results.length <= 3);
      t.is(page.count, 11);
      seen.push(...ids(page));
      next = page.next_batch;
      pages++;
    } while (next && pages < 10);
    t.is(pages, 4);
    t.deepEqual(seen, ids(order === 'recent' ? recent : ranked));
  }
  // A token belongs to its order.
  const first = await search(alice, { search_term: 'apple', order_by: 'recent', filter: { limit: 3 } });
  const wrong = await alice.call('POST', `${SEARCH}?next_batch=${enc(first.next_batch)}`, { search_categories: { room_events: { search_term: 'apple', order_by: 'rank' } } });
  t.is(wrong.status, 400);
  t.is(wrong.body.errcode, 'M_INVALID_PARAM');
});

test('search: event context, profiles, room state and groups', async (t) => {
  const s = await startRoomsServer(t);
  const alice = await registerUser(s, 'alice');
  const bob = await registerUser(s, 'bob');
  t.is((await alice.call('PUT', `/_matrix/client/v3/profile/${enc(alice.userId)}/displayname`, { displayname: 'Alice A.' })).status, 200);
  const one = await createRoom(alice, { preset: 'public_chat', name: 'Room one' });
  const two = await createRoom(alice, { preset: 'public_chat' });
  await join(bob, one);
  const b1 = await send(alice, one, text('before one'));
  const b2 = await send(bob, one, text('before two'));
  const hit = await send(alice, one, text('the needle is here'));
  const a1 = await send(bob, one, text('after one'));
  await send(alice, one, text('after two'));
  const inTwo = await send(alice, two, text('another needle'));
  const bobNeedle = await send(bob, one, text('needle of bob'));

  const withContext = await search(alice, {
    search_term: 'needle',
    order_by: 'recent',
    filter: { rooms: [one], senders: [alice.userId] },
    event_context: { before_limit: 2, after_limit: 1, include_profile: true },
    include_state: true,
  });
  t.deepEqual(ids(withContext), [hit]);
  const context = withContext.results[0].context;
  t.deepEqual(context.events_before.map((e: any) => e.event_id), [b2, b1]);
  t.deepEqual(context.events_after.map((e: any) => e.event_id), [a1]);
  t.is(typeof context.start, 'string');
  t.is(typeof context.end, 'string');
  t.is(context.profile_info[alice.userId].displayname, 'Alice A.');
  t.deepEqual(Object.keys(context.profile_info).sort(), [alice.userId, bob.userId].sort());
  // The context tokens are /messages tokens.
  const older = await alice.call('GET', `${room(one)}/messages?dir=b&limit=1&from=${enc(context.start)}`);
  t.is(older.status, 200);
  t.is(older.body.chunk[0].type, 'm.room.member');
  t.deepEqual(Object.keys(withContext.state), [one]);
  t.true(withContext.state[one].some((e: any) => e.type === 'm.room.name' && e.content.name === 'Room one'));
  // Without event_context there is no context.
  t.is((await search(alice, { search_term: 'needle' })).results[0].context, undefined);

  // Groups by room and by sender, in the order of their first result.
  const grouped = await search(alice, { search_term: 'needle', order_by: 'recent', groupings: { group_by: [{ key: 'room_id' }, { key: 'sender' }] } });
  t.deepEqual(ids(grouped), [bobNeedle, inTwo, hit]);
  t.deepEqual(grouped.groups.room_id, { [one]: { order: 1, results: [bobNeedle, hit] }, [two]: { order: 2, results: [inTwo] } });
  t.deepEqual(grouped.groups.sender, { [bob.userId]: { order: 1, results: [bobNeedle] }, [alice.userId]: { order: 2, results: [inTwo, hit] } });

  // A page of one: the groups with more hits beyond it carry a next_batch that stays in the group.
  const small = await search(alice, { search_term: 'needle', order_by: 'recent', filter: { limit: 1 }, groupings: { group_by: [{ key: 'room_id' }] } });
  t.deepEqual(ids(small), [bobNeedle]);
  t.is(small.count, 3);
  const roomGroup = small.groups.room_id[one];
  t.deepEqual(roomGroup.results, [bobNeedle]);
  t.is(typeof roomGroup.next_batch, 'string');
  const rest = await search(alice, { search_term: 'needle', order_by: 'recent', filter: { limit: 5 }, groupings: { group_by: [{ key: 'room_id' }] } }, roomGroup.next_batch);
  t.deepEqual(ids(rest), [hit]);
  t.is(rest.count, 2);
  t.is(rest.next_batch, undefined);
  t.is(rest.groups.room_id[one].next_batch, undefined);
  // The overall next_batch goes on across rooms.
  const second = await search(alice, { search_term: 'needle', order_by: 'recent', filter: { limit: 1 }, groupings: { group_by: [{ key: 'room_id' }] } }, small.next_batch);
  t.deepEqual(ids(second), [inTwo]);
  t.is(second.groups.room_id[two].next_batch, undefined);
});

test('search: bad input', async (t) => {
  const s = await startRoomsServer(t);
  const alice = await registerUser(s, 'alice');
  const code = async (body: unknown, query = ''): Promise<string> => (await alice.call('POST', `${SEARCH}${query}`, body)).body.errcode;
  t.is(await code({}), 'M_BAD_JSON');
  t.is(await code({ search_categories: { room_events: {} } }), 'M_BAD_JSON');
  t.is(await code({ search_categories: { room_events: { search_term: 5 } } }), 'M_BAD_JSON');
  t.is(await code({ search_categories: { room_events: { search_term: 'x', keys: ['content.url'] } } }), 'M_BAD_JSON');
  t.is(await code({ search_categories: { room_events: { search_term: 'x', order_by: 'oldest' } } }), 'M_BAD_JSON');
  t.is(await code({ search_categories: { room_events: { search_term: 'x', filter: { rooms: 'not a list' } } } }), 'M_BAD_JSON');
  t.is(await code({ search_categories: { room_events: { search_term: 'x', filter: { senders: ['@a\u0000:hs.test'] } } } }), 'M_BAD_JSON');
  t.is(await code({ search_categories: { room_events: { search_term: 'x\u0000' } } }), 'M_BAD_JSON');
  t.is(await code({ search_categories: { room_events: { search_term: 'x', event_context: { before_limit: -1 } } } }), 'M_BAD_JSON');
  t.is(await code({ search_categories: { room_events: { search_term: 'x', groupings: { group_by: [{ key: 'type' }] } } } }), 'M_BAD_JSON');
  t.is(await code({ search_categories: { room_events: { search_term: 'x' } } }, '?next_batch=garbage'), 'M_INVALID_PARAM');
  t.is(await code({ search_categories: { room_events: { search_term: 'x' } } }, `?next_batch=${Buffer.from('{"o":"rank","s":1}').toString('base64url')}`), 'M_INVALID_PARAM');
  t.is(await code('{not json'), 'M_NOT_JSON');
  // Unknown categories are not searched.
  const other = await alice.call('POST', SEARCH, { search_categories: { users: { search_term: 'x' } } });
  t.is(other.status, 200);
  t.deepEqual(other.body, { search_categories: {} });
  t.is((await s.request('POST', SEARCH, { search_categories: {} })).body.errcode, 'M_MISSING_TOKEN');
});
