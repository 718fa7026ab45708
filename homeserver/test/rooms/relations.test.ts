import test from 'ava';
import { createRoom, join, registerUser, room, roomV1, send, setState, startRoomsServer, text, enc } from './support.js';

const thread = (root: string) => ({ 'm.relates_to': { rel_type: 'm.thread', event_id: root } });
const reply = (parent: string, relType: string, extra: Record<string, unknown> = {}) => ({ 'm.relates_to': { rel_type: relType, event_id: parent, ...extra } });

test('relations: children newest first, filtered by rel_type and event type, with bundled aggregations', async (t) => {
  const s = await startRoomsServer(t);
  const alice = await registerUser(s, 'alice');
  const r = await createRoom(alice);
  const parent = await send(alice, r, text('parent'));
  const a = await send(alice, r, text('a', thread(parent)));
  const b = await send(alice, r, { key: '👍', ...reply(parent, 'm.annotation', { key: '👍' }) }, 'm.reaction');
  const c = await send(alice, r, text('c', reply(parent, 'm.reference')));
  await send(alice, r, text('unrelated'));
  const edit = await send(alice, r, text('* a2', { 'm.new_content': text('a2'), ...reply(a, 'm.replace') }));

  const all = await alice.call('GET', `${roomV1(r)}/relations/${enc(parent)}`);
  t.is(all.status, 200);
  t.deepEqual(all.body.chunk.map((e: any) => e.event_id), [c, b, a]);
  t.is(all.body.next_batch, undefined);
  t.is(all.body.prev_batch, undefined);
  t.is(all.body.recursion_depth, undefined, 'absent unless recurse was sent');
  // Children carry their own aggregations: the thread reply was edited.
  t.is(all.body.chunk[2].unsigned['m.relations']['m.replace'].event_id, edit);

  const threads = await alice.call('GET', `${roomV1(r)}/relations/${enc(parent)}/m.thread`);
  t.deepEqual(threads.body.chunk.map((e: any) => e.event_id), [a]);
  const reactions = await alice.call('GET', `${roomV1(r)}/relations/${enc(parent)}/m.annotation/m.reaction`);
  t.deepEqual(reactions.body.chunk.map((e: any) => e.event_id), [b]);
  const wrongType = await alice.call('GET', `${roomV1(r)}/relations/${enc(parent)}/m.annotation/m.room.message`);
  t.deepEqual(wrongType.body.chunk, []);
  const forwards = await alice.call('GET', `${roomV1(r)}/relations/${enc(parent)}?dir=f`);
  t.deepEqual(forwards.body.chunk.map((e: any) => e.event_id), [a, b, c]);
});

test('relations: pages with next_batch and prev_batch, in both directions and up to `to`', async (t) => {
  const s = await startRoomsServer(t);
  const alice = await registerUser(s, 'alice');
  const r = await createRoom(alice);
  const parent = await send(alice, r, text('parent'));
  const children: string[] = [];
  for (let i = 0; i < 7; i++) children.push(await send(alice, r, text(`r${i}`, reply(parent, 'm.reference'))));

  const seen: string[] = [];
  let from: string | undefined;
  const prevs: Array<string | undefined> = [];
  for (let page = 0; page < 10; page++) {
    const res = await alice.call('GET', `${roomV1(r)}/relations/${enc(parent)}?limit=3${from ? `&from=${enc(from)}` : ''}`);
    t.is(res.status, 200);
    t.true(res.body.chunk.length <= 3);
    seen.push(...res.body.chunk.map((e: any) => e.event_id));
    prevs.push(res.body.prev_batch);
    if (!res.body.next_batch) break;
    from = res.body.next_batch;
  }
  t.deepEqual(seen, [...children].reverse());
  t.is(prevs[0], undefined);
  t.truthy(prevs[1], 'later pages echo their from token as prev_batch');

  const fwd: string[] = [];
  from = undefined;
  for (let page = 0; page < 10; page++) {
    const res = await alice.call('GET', `${roomV1(r)}/relations/${enc(parent)}?dir=f&limit=2${from ? `&from=${enc(from)}` : ''}`);
    fwd.push(...res.body.chunk.map((e: any) => e.event_id));
    if (!res.body.next_batch) break;
    from = res.body.next_batch;
  }
  t.deepEqual(fwd, children);

  // `to` stops at a token: from the first page's next_batch back to the start is nothing more.
  const first = await alice.call('GET', `${roomV1(r)}/relations/${enc(parent)}?limit=2`);
  const bounded = await alice.call('GET', `${roomV1(r)}/relations/${enc(parent)}?dir=f&limit=50&to=${enc(first.body.next_batch)}`);
  t.deepEqual(bounded.body.chunk.map((e: any) => e.event_id), children.slice(0, 6));
  // A /messages token works as `from` too.
  const messages = await alice.call('GET', `${room(r)}/messages?dir=b&limit=1`);
  const fromMessages = await alice.call('GET', `${roomV1(r)}/relations/${enc(parent)}?from=${enc(messages.body.start)}&limit=50`);
  t.is(fromMessages.body.chunk.length, 7);
});

test('relations: recurse follows children of children, filters apply at every hop, redacted children drop out', async (t) => {
  const s = await startRoomsServer(t);
  const alice = await registerUser(s, 'alice');
  const r = await createRoom(alice);
  const parent = await send(alice, r, text('parent'));
  const child = await send(alice, r, text('child', thread(parent)));
  const grandchild = await send(alice, r, text('grandchild', reply(child, 'm.reference')));
  const greatGrandchild = await send(alice, r, text('ggc', reply(grandchild, 'm.reference')));
  const fourth = await send(alice, r, text('4th', reply(greatGrandchild, 'm.reference')));

  const direct = await alice.call('GET', `${roomV1(r)}/relations/${enc(parent)}?recurse=false`);
  t.deepEqual(direct.body.chunk.map((e: any) => e.event_id), [child]);
  t.is(direct.body.recursion_depth, 1);
  const deep = await alice.call('GET', `${roomV1(r)}/relations/${enc(parent)}?recurse=true`);
  t.deepEqual(deep.body.chunk.map((e: any) => e.event_id), [greatGrandchild, grandchild, child]);
  t.false(deep.body.chunk.some((e: any) => e.event_id === fourth), 'depth is bounded');
  t.is(deep.body.recursion_depth, 3);
  // m.reference children only hang off the parent through an m.thread event: the filter cuts them.
  const refs = await alice.call('GET', `${roomV1(r)}/relations/${enc(parent)}/m.reference?recurse=true`);
  t.deepEqual(refs.body.chunk, []);

  const redaction = await alice.call('PUT', `${room(r)}/redact/${enc(child)}/txn-redact-1`, {});
  t.is(redaction.status, 200);
  const afterRedaction = await alice.call('GET', `${roomV1(r)}/relations/${enc(parent)}`);
  t.deepEqual(afterRedaction.body.chunk, [], 'a redaction breaks the relation');
});

test('relations: unknown or invisible parents are 404; invisible children are left out; bad parameters are 400', async (t) => {
  const s = await startRoomsServer(t);
  const [alice, bob, carol] = await Promise.all([registerUser(s, 'alice'), registerUser(s, 'bob'), registerUser(s, 'carol')]);
  const r = await createRoom(alice, { preset: 'public_chat' });
  await setState(alice, r, 'm.room.history_visibility', { history_visibility: 'joined' });
  const parent = await send(alice, r, text('parent'));
  const early = await send(alice, r, text('early', reply(parent, 'm.reference')));
  await join(bob, r);
  const late = await send(alice, r, text('late', reply(parent, 'm.reference')));

  t.is((await bob.call('GET', `${roomV1(r)}/relations/${enc(parent)}`)).status, 404, 'bob joined after the parent');
  const mine = await send(bob, r, text('bob parent'));
  const bobChild = await send(alice, r, text('x', reply(mine, 'm.reference')));
  const bobView = await bob.call('GET', `${roomV1(r)}/relations/${enc(mine)}`);
  t.deepEqual(bobView.body.chunk.map((e: any) => e.event_id), [bobChild]);
  const aliceView = await alice.call('GET', `${roomV1(r)}/relations/${enc(parent)}`);
  t.deepEqual(aliceView.body.chunk.map((e: any) => e.event_id), [late, early]);

  // Children bob cannot see are skipped even when he can see the parent (world-readable then joined).
  const r2 = await createRoom(alice, { preset: 'public_chat' });
  const p2 = await send(alice, r2, text('p2'));
  await setState(alice, r2, 'm.room.history_visibility', { history_visibility: 'joined' });
  const hidden = await send(alice, r2, text('hidden', reply(p2, 'm.reference')));
  await join(carol, r2);
  const shown = await send(alice, r2, text('shown', reply(p2, 'm.reference')));
  const carolView = await carol.call('GET', `${roomV1(r2)}/relations/${enc(p2)}`);
  t.is(carolView.status, 200, 'shared history before the change is visible to carol');
  t.deepEqual(carolView.body.chunk.map((e: any) => e.event_id), [shown]);
  t.false(carolView.body.chunk.some((e: any) => e.event_id === hidden));

  const missing = await alice.call('GET', `${roomV1(r)}/relations/${enc('$nope')}`);
  t.is(missing.status, 404);
  t.is(missing.body.errcode, 'M_NOT_FOUND');
  t.is((await alice.call('GET', `${roomV1(r2)}/relations/${enc(parent)}`)).status, 404, 'the parent is in another room');
  t.is((await alice.call('GET', `${roomV1('!nowhere:hs.test')}/relations/${enc(parent)}`)).status, 404);
  for (const q of ['dir=x', 'limit=abc', 'limit=0', 'recurse=maybe', 'from=garbage']) {
    const res = await alice.call('GET', `${roomV1(r)}/relations/${enc(parent)}?${q}`);
    t.is(res.status, 400, q);
    t.is(res.body.errcode, 'M_INVALID_PARAM', q);
  }
  t.is((await s.request('GET', `${roomV1(r)}/relations/${enc(parent)}`)).status, 401);
});

test('threads: latest activity first, participated filter, pagination and bundled thread summaries', async (t) => {
  const s = await startRoomsServer(t);
  const [alice, bob] = await Promise.all([registerUser(s, 'alice'), registerUser(s, 'bob')]);
  const r = await createRoom(alice, { preset: 'public_chat' });
  await join(bob, r);
  const roots: string[] = [];
  for (let i = 0; i < 4; i++) roots.push(await send(alice, r, text(`root${i}`)));
  await send(alice, r, text('in 0', thread(roots[0]!)));
  await send(alice, r, text('in 1', thread(roots[1]!)));
  await send(alice, r, text('in 2', thread(roots[2]!)));
  const bobRoot = await send(bob, r, text('bob root'));
  await send(alice, r, text('in bob', thread(bobRoot)));
  const latest = await send(bob, r, text('again in 0', thread(roots[0]!)));

  const all = await alice.call('GET', `${roomV1(r)}/threads`);
  t.is(all.status, 200);
  t.deepEqual(all.body.chunk.map((e: any) => e.event_id), [roots[0], bobRoot, roots[2], roots[1]]);
  t.is(all.body.next_batch, undefined);
  const summary = all.body.chunk[0].unsigned['m.relations']['m.thread'];
  t.is(summary.count, 2);
  t.is(summary.latest_event.event_id, latest);
  t.true(summary.current_user_participated);

  const bobs = await bob.call('GET', `${roomV1(r)}/threads?include=participated`);
  t.deepEqual(bobs.body.chunk.map((e: any) => e.event_id), [roots[0], bobRoot], 'replied in one, started the other');

  const paged: string[] = [];
  let from: string | undefined;
  for (let page = 0; page < 10; page++) {
    const res = await alice.call('GET', `${roomV1(r)}/threads?limit=1${from ? `&from=${enc(from)}` : ''}`);
    paged.push(...res.body.chunk.map((e: any) => e.event_id));
    if (!res.body.next_batch) break;
    from = res.body.next_batch;
  }
  t.deepEqual(paged, [roots[0], bobRoot, roots[2], roots[1]]);

  // Redacting the only reply of a thread removes the thread.
  const onlyReply = (await alice.call('GET', `${roomV1(r)}/relations/${enc(roots[1]!)}/m.thread`)).body.chunk[0].event_id;
  await alice.call('PUT', `${room(r)}/redact/${enc(onlyReply)}/txn-redact-2`, {});
  const after = await alice.call('GET', `${roomV1(r)}/threads`);
  t.false(after.body.chunk.some((e: any) => e.event_id === roots[1]));
});

test('threads: visibility, membership and bad parameters', async (t) => {
  const s = await startRoomsServer(t);
  const [alice, bob, carol] = await Promise.all([registerUser(s, 'alice'), registerUser(s, 'bob'), registerUser(s, 'carol')]);
  const r = await createRoom(alice, { preset: 'public_chat' });
  await setState(alice, r, 'm.room.history_visibility', { history_visibility: 'joined' });
  const secret = await send(alice, r, text('secret root'));
  await send(alice, r, text('reply', thread(secret)));
  await join(bob, r);
  const open = await send(alice, r, text('open root'));
  await send(alice, r, text('reply', thread(open)));
  const bobs = await bob.call('GET', `${roomV1(r)}/threads`);
  t.deepEqual(bobs.body.chunk.map((e: any) => e.event_id), [open], 'roots from before bob joined stay hidden');

  const outsider = await carol.call('GET', `${roomV1(r)}/threads`);
  t.is(outsider.status, 403);
  t.is(outsider.body.errcode, 'M_FORBIDDEN');
  t.is((await alice.call('GET', `${roomV1('!unknown:hs.test')}/threads`)).status, 403);
  for (const q of ['include=mine', 'limit=0', 'limit=x', 'from=garbage', 'from=s12']) {
    const res = await alice.call('GET', `${roomV1(r)}/threads?${q}`);
    t.is(res.status, 400, q);
    t.is(res.body.errcode, 'M_INVALID_PARAM', q);
  }
});

test('timestamp_to_event: nearest visible event in either direction', async (t) => {
  const s = await startRoomsServer(t);
  const [alice, bob, carol] = await Promise.all([registerUser(s, 'alice'), registerUser(s, 'bob'), registerUser(s, 'carol')]);
  const r = await createRoom(alice, { preset: 'public_chat' });
  const visibility = await setState(alice, r, 'm.room.history_visibility', { history_visibility: 'joined' });
  const first = await send(alice, r, text('first'));
  const firstTs = (await alice.call('GET', `${room(r)}/event/${enc(first)}`)).body.origin_server_ts as number;
  await new Promise((resolve) => setTimeout(resolve, 20));
  const second = await send(alice, r, text('second'));
  const secondTs = (await alice.call('GET', `${room(r)}/event/${enc(second)}`)).body.origin_server_ts as number;

  const fwd = await alice.call('GET', `${roomV1(r)}/timestamp_to_event?ts=${firstTs + 1}&dir=f`);
  t.is(fwd.status, 200);
  t.deepEqual(fwd.body, { event_id: second, origin_server_ts: secondTs });
  const back = await alice.call('GET', `${roomV1(r)}/timestamp_to_event?ts=${secondTs - 1}&dir=b`);
  t.deepEqual(back.body, { event_id: first, origin_server_ts: firstTs });
  const none = await alice.call('GET', `${roomV1(r)}/timestamp_to_event?ts=${secondTs + 60_000}&dir=f`);
  t.is(none.status, 404);
  t.is(none.body.errcode, 'M_NOT_FOUND');
  const beforeAll = await alice.call('GET', `${roomV1(r)}/timestamp_to_event?ts=1&dir=b`);
  t.is(beforeAll.status, 404);

  // Bob joined later and may not see alice's messages from then: backwards skips them and lands on
  // the visibility change (visible, as the history before it was shared).
  await join(bob, r);
  const bobBack = await bob.call('GET', `${roomV1(r)}/timestamp_to_event?ts=${secondTs}&dir=b`);
  t.is(bobBack.status, 200);
  t.is(bobBack.body.event_id, visibility);
  const bobFwd = await bob.call('GET', `${roomV1(r)}/timestamp_to_event?ts=${firstTs}&dir=f`);
  t.is(bobFwd.status, 200);
  t.not(bobFwd.body.event_id, first);
  t.not(bobFwd.body.event_id, second);

  t.is((await carol.call('GET', `${roomV1(r)}/timestamp_to_event?ts=${firstTs}&dir=f`)).status, 403);
  const missingTs = await alice.call('GET', `${roomV1(r)}/timestamp_to_event?dir=f`);
  t.is(missingTs.status, 400);
  t.is(missingTs.body.errcode, 'M_MISSING_PARAM');
  for (const q of [`ts=abc&dir=f`, `ts=${firstTs}&dir=x`, `ts=-5&dir=f`]) {
    const res = await alice.call('GET', `${roomV1(r)}/timestamp_to_event?${q}`);
    t.is(res.status, 400, q);
    t.is(res.body.errcode, 'M_INVALID_PARAM', q);
  }
});
