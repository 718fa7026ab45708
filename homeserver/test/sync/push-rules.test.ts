import test from 'ava';
import { registerUser, txn, type TestUser } from '../helpers/client.js';
import { startTestServer } from '../helpers/server.js';

const open = { HS_OPEN_REGISTRATION: '1', HS_RATE_LIMIT_REGISTER_BURST: '100' };
const P = '/_matrix/client/v3/pushrules';
const rule = (kind: string, id: string, query = '') => `${P}/global/${kind}/${encodeURIComponent(id)}${query}`;
const r = (roomId: string) => `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}`;

async function sync(user: TestUser, params: Record<string, string> = {}) {
  const res = await user.call('GET', `/_matrix/client/v3/sync?${new URLSearchParams(params)}`);
  if (res.status !== 200) throw new Error(`sync: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

async function ok(res: Promise<{ status: number; body: any }>) {
  const done = await res;
  if (done.status !== 200) throw new Error(`${done.status} ${JSON.stringify(done.body)}`);
  return done.body;
}

const ids = async (user: TestUser, kind: string): Promise<string[]> => (await ok(user.call('GET', `${P}/global/`)))[kind].filter((x: any) => !x.default).map((x: any) => x.rule_id);

test('rules: create, read, replace, enable, change actions, delete', async (t) => {
  const s = await startTestServer(t, open);
  const alice = await registerUser(s, 'alice');

  const all = await ok(alice.call('GET', `${P}/`));
  t.deepEqual(all.global.content.map((x: any) => [x.rule_id, x.pattern]), [['.m.rule.contains_user_name', 'alice']]);

  await ok(alice.call('PUT', rule('content', 'cake'), { pattern: 'cake', actions: ['notify', { set_tweak: 'sound', value: 'cakealarm.wav' }] }));
  t.deepEqual(await ok(alice.call('GET', rule('content', 'cake'))), {
    rule_id: 'cake',
    default: false,
    enabled: true,
    pattern: 'cake',
    actions: ['notify', { set_tweak: 'sound', value: 'cakealarm.wav' }],
  });
  const content = (await ok(alice.call('GET', `${P}/global/`))).content;
  t.deepEqual(content.map((x: any) => x.rule_id), ['cake', '.m.rule.contains_user_name'], "the user's rules come before the defaults of their kind");

  await ok(alice.call('PUT', rule('content', 'cake', '/enabled'), { enabled: false }));
  t.deepEqual(await ok(alice.call('GET', rule('content', 'cake', '/enabled'))), { enabled: false });
  await ok(alice.call('PUT', rule('content', 'cake', '/actions'), { actions: [] }));
  t.deepEqual(await ok(alice.call('GET', rule('content', 'cake', '/actions'))), { actions: [] });

  // Replacing keeps the enabled flag.
  await ok(alice.call('PUT', rule('content', 'cake'), { pattern: 'cake*lie', actions: ['notify'] }));
  const replaced = await ok(alice.call('GET', rule('content', 'cake')));
  t.deepEqual([replaced.pattern, replaced.actions, replaced.enabled], ['cake*lie', ['notify'], false]);

  const override = { conditions: [{ kind: 'event_match', key: 'content.body', pattern: 'beer' }, { kind: 'room_member_count', is: '<=10' }], actions: ['notify'] };
  await ok(alice.call('PUT', rule('override', 'beer'), override));
  t.deepEqual((await ok(alice.call('GET', rule('override', 'beer')))).conditions, override.conditions);
  const overrides = (await ok(alice.call('GET', `${P}/global/`))).override.map((x: any) => x.rule_id);
  t.deepEqual(overrides.slice(0, 3), ['.m.rule.master', 'beer', '.m.rule.suppress_notices'], '.m.rule.master stays first');

  // Room and sender rules: the rule ID is the room or user; no conditions are shown.
  await ok(alice.call('PUT', rule('room', '!spam:example.org'), { actions: [] }));
  await ok(alice.call('PUT', rule('sender', '@spambot:example.org'), { actions: [] }));
  t.deepEqual(await ok(alice.call('GET', rule('room', '!spam:example.org'))), { rule_id: '!spam:example.org', default: false, enabled: true, actions: [] });
  t.deepEqual((await ok(alice.call('GET', `${P}/global/`))).sender.map((x: any) => x.rule_id), ['@spambot:example.org']);

  await ok(alice.call('DELETE', rule('content', 'cake')));
  const gone = await alice.call('GET', rule('content', 'cake'));
  t.is(gone.status, 404);
  t.is(gone.body.errcode, 'M_NOT_FOUND');
  t.is((await alice.call('DELETE', rule('content', 'cake'))).body.errcode, 'M_NOT_FOUND');

  // Another user's rules are their own.
  const bob = await registerUser(s, 'bob');
  t.is((await bob.call('GET', rule('override', 'beer'))).status, 404);
});

test('rules: placement with before and after', async (t) => {
  const s = await startTestServer(t, open);
  const alice = await registerUser(s, 'alice');
  const put = (id: string, query = '') => ok(alice.call('PUT', rule('content', id, query), { pattern: id, actions: ['notify'] }));
  await put('a');
  await put('b');
  t.deepEqual(await ids(alice, 'content'), ['b', 'a'], 'a new rule is the most important of its kind');
  await put('c', '?after=b');
  t.deepEqual(await ids(alice, 'content'), ['b', 'c', 'a']);
  await put('d', '?before=a');
  t.deepEqual(await ids(alice, 'content'), ['b', 'c', 'd', 'a']);
  await put('c');
  t.deepEqual(await ids(alice, 'content'), ['b', 'c', 'd', 'a'], 'replacing without placement keeps the place');
  await put('b', '?after=a');
  t.deepEqual(await ids(alice, 'content'), ['c', 'd', 'a', 'b'], 'replacing with placement moves it');
  await put('e', '?before=d&after=b');
  t.deepEqual(await ids(alice, 'content'), ['c', 'e', 'd', 'a', 'b'], 'before wins over after');

  const missing = await alice.call('PUT', rule('content', 'f', '?before=nope'), { pattern: 'f', actions: [] });
  t.deepEqual([missing.status, missing.body.errcode], [400, 'M_UNKNOWN']);
  const relativeToDefault = await alice.call('PUT', rule('content', 'f', '?after=.m.rule.contains_user_name'), { pattern: 'f', actions: [] });
  t.deepEqual([relativeToDefault.status, relativeToDefault.body.errcode], [400, 'M_UNKNOWN']);
  const otherKind = await alice.call('PUT', rule('override', 'f', '?before=a'), { actions: [] });
  t.deepEqual([otherKind.status, otherKind.body.errcode], [400, 'M_UNKNOWN'], 'placement is among rules of the same kind');
  t.deepEqual(await ids(alice, 'content'), ['c', 'e', 'd', 'a', 'b'], 'failed requests change nothing');
  t.deepEqual(await ids(alice, 'override'), []);
});

test('rules: server-default rules can be disabled and given other actions, never deleted or replaced', async (t) => {
  const s = await startTestServer(t, open);
  const alice = await registerUser(s, 'alice');
  t.deepEqual(await ok(alice.call('GET', rule('override', '.m.rule.master', '/enabled'))), { enabled: false });
  await ok(alice.call('PUT', rule('override', '.m.rule.master', '/enabled'), { enabled: true }));
  await ok(alice.call('PUT', rule('underride', '.m.rule.message', '/actions'), { actions: ['notify', { set_tweak: 'sound', value: 'default' }] }));
  const message = await ok(alice.call('GET', rule('underride', '.m.rule.message')));
  t.deepEqual([message.default, message.enabled, message.actions], [true, true, ['notify', { set_tweak: 'sound', value: 'default' }]]);
  t.true((await ok(alice.call('GET', `${P}/`))).global.override[0].enabled);

  const del = await alice.call('DELETE', rule('underride', '.m.rule.message'));
  t.deepEqual([del.status, del.body.errcode], [400, 'M_UNKNOWN']);
  const replace = await alice.call('PUT', rule('override', '.m.rule.master'), { actions: ['notify'] });
  t.deepEqual([replace.status, replace.body.errcode], [400, 'M_UNKNOWN']);
  const reserved = await alice.call('PUT', rule('override', '.my.rule'), { actions: ['notify'] });
  t.deepEqual([reserved.status, reserved.body.errcode], [400, 'M_INVALID_PARAM']);
  t.is((await alice.call('GET', rule('content', '.m.rule.message'))).status, 404, 'a default rule exists in its own kind only');
});

test('rules: validation errors', async (t) => {
  const s = await startTestServer(t, open);
  const alice = await registerUser(s, 'alice');
  const expect = async (method: string, path: string, body: unknown, status: number, errcode: string) => {
    const res = await alice.call(method, path, body);
    t.deepEqual([res.status, res.body.errcode], [status, errcode], `${method} ${path} ${JSON.stringify(body)}`);
  };
  await expect('GET', rule('bogus', 'x'), undefined, 400, 'M_INVALID_PARAM');
  await expect('PUT', rule('bogus', 'x'), { actions: [] }, 400, 'M_INVALID_PARAM');
  await expect('GET', rule('override', 'nope'), undefined, 404, 'M_NOT_FOUND');
  await expect('GET', rule('override', 'nope', '/enabled'), undefined, 404, 'M_NOT_FOUND');
  await expect('GET', rule('override', 'nope', '/actions'), undefined, 404, 'M_NOT_FOUND');
  await expect('PUT', rule('override', 'nope', '/enabled'), { enabled: true }, 404, 'M_NOT_FOUND');
  await expect('PUT', rule('override', 'nope', '/actions'), { actions: [] }, 404, 'M_NOT_FOUND');
  await expect('PUT', rule('override', 'x'), {}, 400, 'M_BAD_JSON');
  await expect('PUT', rule('override', 'x'), { actions: 'notify' }, 400, 'M_BAD_JSON');
  await expect('PUT', rule('override', 'x'), { actions: ['shout'] }, 400, 'M_INVALID_PARAM');
  await expect('PUT', rule('override', 'x'), { actions: [{ value: 1 }] }, 400, 'M_INVALID_PARAM');
  await expect('PUT', rule('override', 'x'), { actions: [], conditions: [{ key: 'type' }] }, 400, 'M_BAD_JSON');
  await expect('PUT', rule('content', 'x'), { actions: [] }, 400, 'M_MISSING_PARAM');
  await expect('PUT', rule('content', 'a/b'), { pattern: 'p', actions: [] }, 400, 'M_INVALID_PARAM');
  await expect('PUT', rule('content', 'a\\b'), { pattern: 'p', actions: [] }, 400, 'M_INVALID_PARAM');
  await expect('PUT', rule('override', '.m.rule.master', '/enabled'), { enabled: 'yes' }, 400, 'M_BAD_JSON');
  await expect('PUT', rule('override', '.m.rule.master', '/actions'), { actions: ['shout'] }, 400, 'M_INVALID_PARAM');
  t.is((await s.request('GET', `${P}/`)).status, 401);
  // Historical actions are accepted (and mean nothing); unknown condition kinds are kept.
  await ok(alice.call('PUT', rule('override', 'old'), { actions: ['dont_notify'], conditions: [{ kind: 'org.example.future', x: 1 }] }));
  t.deepEqual((await ok(alice.call('GET', rule('override', 'old')))).conditions, [{ kind: 'org.example.future', x: 1 }]);
});

test('m.push_rules account data reaches /sync after each change', async (t) => {
  const s = await startTestServer(t, open);
  const alice = await registerUser(s, 'alice');
  const first = await sync(alice);
  await ok(alice.call('PUT', rule('room', '!quiet:example.org'), { actions: [] }));
  const next = await sync(alice, { since: first.next_batch, timeout: '5000' });
  const event = next.account_data.events.find((e: any) => e.type === 'm.push_rules');
  t.truthy(event);
  t.deepEqual(event.content.global.room.map((x: any) => x.rule_id), ['!quiet:example.org']);
  t.is(event.content.global.override[0].rule_id, '.m.rule.master');
  t.deepEqual(event.content.global, (await ok(alice.call('GET', `${P}/`))).global, 'the same ruleset GET /pushrules/ answers');

  await ok(alice.call('PUT', rule('override', '.m.rule.master', '/enabled'), { enabled: true }));
  const after = await sync(alice, { since: next.next_batch, timeout: '5000' });
  const changed = after.account_data.events.find((e: any) => e.type === 'm.push_rules');
  t.true(changed.content.global.override[0].enabled);
  const stored = await alice.call('GET', `/_matrix/client/v3/user/${encodeURIComponent(alice.userId)}/account_data/m.push_rules`);
  t.true(stored.body.global.override[0].enabled);

  const fresh = await sync(alice);
  t.true(fresh.account_data.events.find((e: any) => e.type === 'm.push_rules').content.global.override[0].enabled, 'an initial sync carries it too');
});

test('unread counts follow push rules: a muted room counts nothing, a mentions-only room its mentions, a keyword highlights', async (t) => {
  const s = await startTestServer(t, open);
  const [alice, bob, carol] = await Promise.all([registerUser(s, 'alice'), registerUser(s, 'bob'), registerUser(s, 'carol')]);
  const room = async () => {
    const id = (await ok(alice.call('POST', '/_matrix/client/v3/createRoom', { preset: 'public_chat' }))).room_id as string;
    await ok(bob.call('POST', `${r(id)}/join`, {}));
    await ok(carol.call('POST', `${r(id)}/join`, {}));
    return id;
  };
  const send = (roomId: string, body: string, extra: Record<string, unknown> = {}) =>
    ok(alice.call('PUT', `${r(roomId)}/send/m.room.message/${txn()}`, { msgtype: 'm.text', body, ...extra }));
  const muted = await room();
  const cakeRoom = await room();
  const mentionsOnly = await room();

  // Muted as Element and our web client do it: an override rule for the room without notify.
  await ok(bob.call('PUT', rule('override', muted), { conditions: [{ kind: 'event_match', key: 'room_id', pattern: muted }], actions: [] }));
  // Element's "mentions and keywords": a room rule ranks below override and content rules.
  await ok(bob.call('PUT', rule('room', mentionsOnly), { actions: ['dont_notify'] }));
  await ok(bob.call('PUT', rule('content', 'cake'), { pattern: 'cake', actions: ['notify', { set_tweak: 'highlight' }] }));
  const since = (await sync(bob)).next_batch;

  for (const id of [muted, mentionsOnly]) {
    await send(id, 'hello');
    await send(id, `hey ${bob.userId}`);
    await send(id, 'mention', { 'm.mentions': { user_ids: [bob.userId] } });
  }
  await send(cakeRoom, 'hello');
  await send(cakeRoom, 'Who wants CAKE?');
  await send(cakeRoom, 'cupcakes are not cake rules', { msgtype: 'm.notice' });
  await send(cakeRoom, 'mention', { 'm.mentions': { user_ids: [bob.userId] } });

  const counts = async () => {
    const body = await sync(bob);
    return (id: string) => body.rooms.join[id].unread_notifications;
  };
  let c = await counts();
  t.deepEqual(c(muted), { notification_count: 0, highlight_count: 0 });
  t.deepEqual(c(mentionsOnly), { notification_count: 2, highlight_count: 2 }, 'the two mentions only');
  t.deepEqual(c(cakeRoom), { notification_count: 3, highlight_count: 2 }, 'the notice does not count; cake and the mention highlight');
  // Carol has no rules: everything notifies, the mention of bob is not hers.
  const carolView = await sync(carol);
  t.deepEqual(carolView.rooms.join[muted].unread_notifications, { notification_count: 3, highlight_count: 0 });

  // Unmuting counts again from the read position; the incremental sync shows it with the next message.
  await ok(bob.call('DELETE', rule('override', muted)));
  await send(muted, 'back');
  const incremental = await sync(bob, { since, timeout: '5000' });
  t.deepEqual(incremental.rooms.join[muted].unread_notifications, { notification_count: 4, highlight_count: 2 });
  c = await counts();
  t.deepEqual(c(mentionsOnly), { notification_count: 2, highlight_count: 2 });

  // Disabling the keyword rule: the cake message is an ordinary message again.
  await ok(bob.call('PUT', rule('content', 'cake', '/enabled'), { enabled: false }));
  c = await counts();
  t.deepEqual(c(cakeRoom), { notification_count: 3, highlight_count: 1 });
});

test('highlights follow a display name change, a new member count and new power levels', async (t) => {
  const s = await startTestServer(t, open);
  const [alice, bob] = await Promise.all([registerUser(s, 'alice'), registerUser(s, 'bob')]);
  const room = (await ok(alice.call('POST', '/_matrix/client/v3/createRoom', { preset: 'public_chat' }))).room_id as string;
  await ok(bob.call('POST', `${r(room)}/join`, {}));
  const counts = async (since?: string) => {
    const body = await sync(bob, since ? { since } : {});
    return { since: body.next_batch as string, counts: body.rooms.join[room]?.unread_notifications };
  };
  const say = (body: string) => ok(alice.call('PUT', `${r(room)}/send/m.room.message/${txn()}`, { msgtype: 'm.text', body }));

  await say('hello Bobby');
  let seen = await counts();
  t.is(seen.counts.highlight_count, 0);
  // Bob becomes "Bobby" in the room: the same words now name him.
  await ok(bob.call('PUT', `/_matrix/client/v3/profile/${encodeURIComponent(bob.userId)}/displayname`, { displayname: 'Bobby' }));
  await say('hello Bobby');
  seen = await counts(seen.since);
  t.is(seen.counts.highlight_count, 1);
  // @room highlights only where the sender's power level allows it: Carol (level 0) joins.
  const carol = await registerUser(s, 'carol');
  await ok(carol.call('POST', `${r(room)}/join`, {}));
  const roomPing = (body: string) => ok(carol.call('PUT', `${r(room)}/send/m.room.message/${txn()}`, { msgtype: 'm.text', body, 'm.mentions': { room: true } }));
  await roomPing('@room look');
  seen = await counts(seen.since);
  t.is(seen.counts.highlight_count, 1);
  await ok(alice.call('PUT', `${r(room)}/state/m.room.power_levels`, { users: { [alice.userId]: 100 }, notifications: { room: 0 } }));
  await roomPing('@room look again');
  seen = await counts(seen.since);
  t.is(seen.counts.highlight_count, 2);
});
