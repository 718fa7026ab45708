import test from 'ava';
import { defaultPushRules, type PushRule, type PushRuleset } from '../../src/core/push-rules/defaults.js';
import {
  evaluatePushRules,
  globMatches,
  memberCountMatches,
  notificationLevel,
  outcomeOf,
  splitPath,
  valueAtPath,
  type PushContext,
  type PushEvent,
} from '../../src/core/push-rules/evaluate.js';

const ME = '@alice:example.org';
const ROOM = '!room:example.org';

function ctx(over: Partial<PushContext> = {}): PushContext {
  const levels: Record<string, number> = { '@mod:example.org': 50, '@admin:example.org': 100 };
  return {
    userId: ME,
    displayName: 'Alice Liddell',
    memberCount: 5,
    powerLevel: (u) => levels[u] ?? 0,
    notificationLevel: () => 50,
    ...over,
  };
}

function message(body: string, extra: Record<string, unknown> = {}, sender = '@bob:example.org'): PushEvent {
  return { type: 'm.room.message', room_id: ROOM, sender, content: { msgtype: 'm.text', body, ...extra } };
}

/** A ruleset of one override rule with the given conditions. */
function only(conditions: PushRule['conditions'], actions: PushRule['actions'] = ['notify']): PushRuleset {
  return { override: [{ rule_id: 'x', default: false, enabled: true, conditions, actions }], content: [], room: [], sender: [], underride: [] };
}

const matches = (conditions: PushRule['conditions'], event: PushEvent, c = ctx()): boolean => evaluatePushRules(only(conditions), event, c).notify;

// ---- paths ----

test('dot-separated paths: escaped dots and backslashes, other escapes left alone', (t) => {
  t.deepEqual(splitPath('content.body'), ['content', 'body']);
  t.deepEqual(splitPath('content.m\\.relates_to.rel_type'), ['content', 'm.relates_to', 'rel_type']);
  t.deepEqual(splitPath('content.m\\\\foo'), ['content', 'm\\foo']);
  t.deepEqual(splitPath('content.a\\xb'), ['content', 'a\\xb']);
  t.deepEqual(splitPath('a\\\\.b'), ['a\\', 'b'], 'an escaped backslash does not escape the dot after it');
  const event = { content: { 'm.relates_to': { rel_type: 'm.replace' }, 'm\\foo': 1, m: { relates_to: 'nested' } } };
  t.is(valueAtPath(event, 'content.m\\.relates_to.rel_type'), 'm.replace');
  t.is(valueAtPath(event, 'content.m.relates_to'), 'nested');
  t.is(valueAtPath(event, 'content.m\\\\foo'), 1);
  t.is(valueAtPath(event, 'content.missing.deeper'), undefined);
  t.is(valueAtPath({ content: { body: 'x' } }, 'content.constructor'), undefined, 'only own properties');
});

// ---- event_match ----

test('event_match: the spec example (content.topic against lunc?*)', (t) => {
  const topic = (value: unknown): PushEvent => ({ type: 'm.room.topic', state_key: '', room_id: ROOM, sender: '@example:example.org', content: { topic: value } });
  const cond = [{ kind: 'event_match', key: 'content.topic', pattern: 'lunc?*' }];
  t.true(matches(cond, topic('Lunch plans')));
  t.true(matches(cond, topic('LUNCH')), 'case-insensitive; * may match nothing');
  t.false(matches(cond, topic(' lunch')), 'the whole value must match');
  t.false(matches(cond, topic('lunc')), '? needs one character');
  t.false(matches(cond, topic(null)), 'not a string');
});

test('event_match: absent or non-string properties never match, not even *', (t) => {
  t.false(matches([{ kind: 'event_match', key: 'content.topic', pattern: '*' }], message('hi')));
  t.false(matches([{ kind: 'event_match', key: 'content.n', pattern: '*' }], message('hi', { n: 1 })));
  t.true(matches([{ kind: 'event_match', key: 'content.msgtype', pattern: '*' }], message('hi')));
});

test('event_match on content.body: the spec example, matching at word boundaries', (t) => {
  const cond = [{ kind: 'event_match', key: 'content.body', pattern: 'ex*ple' }];
  t.true(matches(cond, message('An example event.')));
  t.true(matches(cond, message('exple')), 'at the start and end of the body');
  t.true(matches(cond, message('An exciting triple-whammy')), 'across words, - separates words');
  t.false(matches(cond, message('examples')), 'must end at a word boundary');
  t.false(matches(cond, message('reexample')), 'must start at a word boundary');
  t.false(matches([{ kind: 'event_match', key: 'content.msgtype', pattern: 'text' }], message('x')), 'other keys match whole values');
});

test('globs: ?, *, case, regex characters taken literally, one ? per character', (t) => {
  t.true(globMatches('m.room.*', 'm.room.message'));
  t.false(globMatches('m.room.*', 'mxroom.message'), '. is literal');
  t.true(globMatches('a+b(c)[d]', 'A+B(C)[D]'));
  t.true(globMatches('!abc:example.org', '!ABC:example.org'));
  t.true(globMatches('?', '😀'), 'a character, not a UTF-16 unit');
  t.false(globMatches('??', '😀'));
  t.true(globMatches('*', ''));
  t.true(globMatches('a*b*c', 'aXXbYYc'));
  t.false(globMatches('a*b*c', 'aXXbYY'));
  t.true(globMatches('line*two', 'line\none'.replace('one', 'two')), '* spans newlines');
  t.true(globMatches('cake', 'I like CAKE!', true));
  t.false(globMatches('cake', 'cupcakes', true));
  t.true(globMatches('ca?e', 'a cave', true));
});

test('globs: a pattern that would make a backtracking matcher explode stays fast', (t) => {
  const body = 'a'.repeat(60_000);
  const started = Date.now();
  t.false(globMatches('*a*a*a*a*a*a*a*a*b', body, true));
  t.false(globMatches('*a*a*a*a*a*a*a*a*b', body));
  t.true(Date.now() - started < 2000);
});

// ---- event_property_is / event_property_contains ----

test('event_property_is: the spec example (content.m\\.federate is true), no type casting', (t) => {
  const create = (federate: unknown): PushEvent => ({ type: 'm.room.create', state_key: '', room_id: ROOM, sender: '@example:example.org', content: { 'm.federate': federate } });
  const cond = [{ kind: 'event_property_is', key: 'content.m\\.federate', value: true }];
  t.true(matches(cond, create(true)));
  t.false(matches(cond, create('true')));
  t.false(matches(cond, create(1)));
  t.false(matches(cond, { type: 'm.room.create', room_id: ROOM, sender: '@x:y', content: {} }), 'absent');
  t.true(matches([{ kind: 'event_property_is', key: 'content.v', value: null }], message('x', { v: null })));
  t.true(matches([{ kind: 'event_property_is', key: 'content.v', value: 42 }], message('x', { v: 42 })));
  t.false(matches([{ kind: 'event_property_is', key: 'content.v', value: { a: 1 } }], message('x', { v: { a: 1 } })), 'compound values are not compared');
  t.false(matches([{ kind: 'event_property_is', key: 'content.v', value: [1] }], message('x', { v: [1] })));
});

test('event_property_contains: the spec example (alt_aliases), exact values only', (t) => {
  const aliases = (list: unknown): PushEvent => ({ type: 'm.room.canonical_alias', state_key: '', room_id: ROOM, sender: '@example:example.org', content: { alt_aliases: list } });
  t.true(matches([{ kind: 'event_property_contains', key: 'content.alt_aliases', value: '#myroom:example.com' }], aliases(['#somewhere:example.org', '#myroom:example.com'])));
  t.false(matches([{ kind: 'event_property_contains', key: 'content.alt_aliases', value: ':example.com' }], aliases(['#myroom:example.com'])), 'no partial values');
  t.false(matches([{ kind: 'event_property_contains', key: 'content.alt_aliases', value: '#myroom:example.com' }], aliases('#myroom:example.com')), 'not an array');
  t.true(matches([{ kind: 'event_property_contains', key: 'content.list', value: 3 }], message('x', { list: [{ a: 3 }, 3] })), 'compound entries are skipped');
});

// ---- contains_display_name, room_member_count, sender_notification_permission, unknown ----

test('contains_display_name: the user name of the room, as whole words, case-insensitive', (t) => {
  const cond = [{ kind: 'contains_display_name' }];
  t.true(matches(cond, message('hey alice liddell, look')));
  t.true(matches(cond, message('Alice Liddell')));
  t.false(matches(cond, message('hey Alice')));
  t.false(matches(cond, message('MrAlice Liddell')));
  t.false(matches(cond, message('hey Alice Liddell'), ctx({ displayName: undefined })));
  t.false(matches(cond, message('hey'), ctx({ displayName: '' })));
  t.true(matches(cond, message('ping a.b*c?'), ctx({ displayName: 'a.b*c?' })), 'the name is literal text, not a glob');
  t.false(matches(cond, message('ping aXbc'), ctx({ displayName: 'a.b*c?' })));
  t.false(matches(cond, { type: 'm.room.message', room_id: ROOM, sender: '@b:x', content: {} }));
});

test('room_member_count: bare numbers and each comparison operator', (t) => {
  t.true(memberCountMatches('2', 2));
  t.true(memberCountMatches('==2', 2));
  t.false(memberCountMatches('2', 3));
  t.true(memberCountMatches('<3', 2));
  t.false(memberCountMatches('<3', 3));
  t.true(memberCountMatches('>3', 4));
  t.false(memberCountMatches('>3', 3));
  t.true(memberCountMatches('<=10', 10));
  t.false(memberCountMatches('<=10', 11));
  t.true(memberCountMatches('>=10', 10));
  t.false(memberCountMatches('>=10', 9));
  for (const bad of ['', 'two', '=2', '!=2', '2.5', '-1', '< 2']) t.false(memberCountMatches(bad, 2), bad);
  t.true(matches([{ kind: 'room_member_count', is: '<=10' }], message('x')));
  t.false(matches([{ kind: 'room_member_count', is: 5 }], message('x')), 'is must be a string');
});

test('sender_notification_permission: the sender needs the level notifications[key] asks', (t) => {
  const cond = [{ kind: 'sender_notification_permission', key: 'room' }];
  t.true(matches(cond, message('x', {}, '@mod:example.org')));
  t.false(matches(cond, message('x', {}, '@bob:example.org')));
  t.true(matches(cond, message('x', {}, '@bob:example.org'), ctx({ notificationLevel: () => 0 })));
  t.is(notificationLevel(undefined, 'room'), 50);
  t.is(notificationLevel({ notifications: { room: 20 } }, 'room'), 20);
  t.is(notificationLevel({ notifications: { room: '10' } }, 'room'), 10, 'old rooms wrote integers as strings');
  t.is(notificationLevel({ notifications: { other: 0 } }, 'room'), 50);
  t.is(notificationLevel({ notifications: 'no' }, 'room'), 50);
});

test('unrecognised or malformed conditions never match: their rule is disabled', (t) => {
  t.false(matches([{ kind: 'org.example.future' }], message('x')));
  t.false(matches([{ kind: 'event_match', key: 'content.body' }], message('x')));
  t.false(matches([{ kind: 'event_property_is', value: 'x' }], message('x')));
  t.true(matches([], message('x')), 'no conditions: always matches');
});

// ---- actions ----

test('actions: notify, highlight (true unless false), sound; historical actions are ignored', (t) => {
  t.deepEqual(outcomeOf(['notify', { set_tweak: 'sound', value: 'default' }, { set_tweak: 'highlight' }]), {
    notify: true,
    highlight: true,
    sound: 'default',
    actions: ['notify', { set_tweak: 'sound', value: 'default' }, { set_tweak: 'highlight' }],
    ruleId: undefined,
    kind: undefined,
  });
  t.false(outcomeOf(['notify', { set_tweak: 'highlight', value: false }]).highlight);
  t.false(outcomeOf(['dont_notify']).notify);
  t.deepEqual(outcomeOf(['dont_notify', 'coalesce']).actions, []);
  t.true(outcomeOf(['coalesce', 'notify']).notify);
});

// ---- the default rules ----

const defaults = defaultPushRules(ME);
const run = (event: PushEvent, c = ctx(), rules: PushRuleset = defaults) => evaluatePushRules(rules, event, c);

test('defaults: a message notifies; in a room of two it also sounds', (t) => {
  const group = run(message('hello'));
  t.deepEqual([group.notify, group.highlight, group.sound, group.ruleId], [true, false, undefined, '.m.rule.message']);
  const dm = run(message('hello'), ctx({ memberCount: 2 }));
  t.deepEqual([dm.notify, dm.sound, dm.ruleId], [true, 'default', '.m.rule.room_one_to_one']);
  const encrypted: PushEvent = { type: 'm.room.encrypted', room_id: ROOM, sender: '@b:x', content: { algorithm: 'm.megolm.v1.aes-sha2', ciphertext: '…' } };
  t.is(run(encrypted).ruleId, '.m.rule.encrypted');
  t.is(run(encrypted, ctx({ memberCount: 2 })).ruleId, '.m.rule.encrypted_room_one_to_one');
  const call = run({ type: 'm.call.invite', room_id: ROOM, sender: '@b:x', content: {} });
  t.deepEqual([call.notify, call.sound], [true, 'ring']);
});

test('defaults: own events, notices, member events, reactions, edits and server ACLs do not notify', (t) => {
  t.false(run(message('mine', {}, ME)).notify);
  t.false(run(message('beep', { msgtype: 'm.notice' })).notify);
  t.false(run({ type: 'm.room.member', state_key: '@c:x', room_id: ROOM, sender: '@c:x', content: { membership: 'join' } }).notify);
  t.false(run({ type: 'm.reaction', room_id: ROOM, sender: '@b:x', content: { 'm.relates_to': { rel_type: 'm.annotation', event_id: '$e', key: '👍' } } }).notify);
  t.false(run(message('* fixed', { 'm.new_content': { body: 'fixed' }, 'm.relates_to': { rel_type: 'm.replace', event_id: '$e' } })).notify);
  t.false(run({ type: 'm.room.server_acl', state_key: '', room_id: ROOM, sender: '@b:x', content: { allow: ['*'] } }).notify);
  t.false(run({ type: 'm.room.name', state_key: '', room_id: ROOM, sender: '@b:x', content: { name: 'n' } }).notify, 'no rule matches');
});

test('defaults: an invite for me notifies, an invite for someone else does not', (t) => {
  const invite = (target: string): PushEvent => ({ type: 'm.room.member', state_key: target, room_id: ROOM, sender: '@b:x', content: { membership: 'invite' } });
  const mine = run(invite(ME));
  t.deepEqual([mine.notify, mine.sound, mine.ruleId], [true, 'default', '.m.rule.invite_for_me']);
  t.false(run(invite('@carol:x')).notify);
});

test('defaults: m.mentions of my user ID and of the room (with the power for it) highlight', (t) => {
  const me = run(message('hi', { 'm.mentions': { user_ids: [ME] } }));
  t.deepEqual([me.notify, me.highlight, me.sound, me.ruleId], [true, true, 'default', '.m.rule.is_user_mention']);
  const other = run(message('hi', { 'm.mentions': { user_ids: ['@carol:x'] } }));
  t.deepEqual([other.notify, other.highlight], [true, false]);
  const room = run(message('hi all', { 'm.mentions': { room: true } }, '@mod:example.org'));
  t.deepEqual([room.notify, room.highlight, room.ruleId], [true, true, '.m.rule.is_room_mention']);
  const weak = run(message('hi all', { 'm.mentions': { room: true } }, '@bob:example.org'));
  t.deepEqual([weak.notify, weak.highlight], [true, false]);
  const tombstone = run({ type: 'm.room.tombstone', state_key: '', room_id: ROOM, sender: '@b:x', content: { replacement_room: '!n:x' } });
  t.deepEqual([tombstone.notify, tombstone.highlight], [true, true]);
});

test('defaults: without m.mentions, the legacy body matches of user name, display name and @room apply', (t) => {
  const byLocalpart = run(message('ping ALICE, are you there?'));
  t.deepEqual([byLocalpart.highlight, byLocalpart.ruleId, byLocalpart.kind], [true, '.m.rule.contains_user_name', 'content']);
  t.false(run(message('malice aforethought')).highlight, 'the localpart as a whole word only');
  t.is(run(message('hey Alice Liddell')).ruleId, '.m.rule.contains_display_name');
  t.is(run(message('@room lunch!', {}, '@mod:example.org')).ruleId, '.m.rule.roomnotif');
  t.false(run(message('@room lunch!', {}, '@bob:example.org')).highlight, 'not for a sender without the power');
});

test('defaults: with m.mentions, even empty, the legacy body matches are skipped', (t) => {
  for (const body of ['ping alice', 'hey Alice Liddell']) {
    const r = run(message(body, { 'm.mentions': {} }));
    t.deepEqual([r.notify, r.highlight, r.ruleId], [true, false, '.m.rule.message'], body);
  }
  const r = run(message('@room lunch!', { 'm.mentions': {} }, '@mod:example.org'));
  t.false(r.highlight);
});

test('defaults: enabling .m.rule.master silences everything', (t) => {
  const rules = structuredClone(defaults);
  rules.override[0]!.enabled = true;
  const r = run(message('hi', { 'm.mentions': { user_ids: [ME] } }), ctx(), rules);
  t.deepEqual([r.notify, r.highlight, r.ruleId], [false, false, '.m.rule.master']);
});

// ---- user rules ----

function withRules(extra: Partial<Record<keyof PushRuleset, PushRule[]>>): PushRuleset {
  const rules = structuredClone(defaults);
  for (const [kind, list] of Object.entries(extra) as Array<[keyof PushRuleset, PushRule[]]>) {
    // As the server merges them: the user's rules first (after .m.rule.master for overrides).
    rules[kind] = kind === 'override' ? [rules.override[0]!, ...list, ...rules.override.slice(1)] : [...list, ...rules[kind]];
  }
  return rules;
}

const user = (rule_id: string, fields: Partial<PushRule>): PushRule => ({ rule_id, default: false, enabled: true, actions: [], ...fields });

test('a room muted by an override rule (empty actions or dont_notify) does not notify, even for mentions', (t) => {
  for (const actions of [[], ['dont_notify']]) {
    const rules = withRules({ override: [user(ROOM, { conditions: [{ kind: 'event_match', key: 'room_id', pattern: ROOM }], actions })] });
    const r = run(message('hi', { 'm.mentions': { user_ids: [ME] } }), ctx(), rules);
    t.deepEqual([r.notify, r.highlight, r.ruleId], [false, false, ROOM]);
    t.true(run({ ...message('hi'), room_id: '!other:x' }, ctx(), rules).notify, 'other rooms are unaffected');
  }
});

test('room, sender and content rules: implicit conditions and their order', (t) => {
  const room = withRules({ room: [user(ROOM, { actions: [] })] });
  t.false(run(message('hi'), ctx(), room).notify);
  t.true(run(message('ping alice'), ctx(), room).highlight, 'content rules come before room rules');
  const sender = withRules({ sender: [user('@bob:example.org', { actions: ['notify', { set_tweak: 'sound', value: 'bob.wav' }] })] });
  t.is(run(message('hi'), ctx(), sender).sound, 'bob.wav');
  t.is(run(message('hi', {}, '@carol:x'), ctx(), sender).ruleId, '.m.rule.message');
  const keyword = withRules({ content: [user('cake', { pattern: 'cake', actions: ['notify', { set_tweak: 'highlight' }] })] });
  const k = run(message('Who wants CAKE?'), ctx(), keyword);
  t.deepEqual([k.notify, k.highlight, k.ruleId], [true, true, 'cake']);
  t.false(run(message('cupcakes'), ctx(), keyword).highlight);
  t.false(run(message('cake', { msgtype: 'm.notice' }), ctx(), keyword).notify, 'override rules come first');
});

test('a disabled rule is skipped; among rules of one kind the first that matches decides', (t) => {
  const rules = withRules({
    content: [
      user('first', { pattern: 'tea', actions: ['notify'], enabled: false }),
      user('second', { pattern: 't*', actions: ['notify', { set_tweak: 'sound', value: 'second' }] }),
      user('third', { pattern: 'tea', actions: ['notify', { set_tweak: 'sound', value: 'third' }] }),
    ],
  });
  const r = run(message("It's time for tea"), ctx(), rules);
  t.deepEqual([r.ruleId, r.sound], ['second', 'second']);
});

// ---- compiled rules are shared between users ----

test('the default rules of many users, compiled once and shared, still name each user', (t) => {
  const users = ['@alice:example.org', '@bob:example.org', '@carol:example.org'];
  const rulesets = users.map((u) => defaultPushRules(u));
  const forUser = (i: number) => ctx({ userId: users[i]!, displayName: undefined });
  for (let round = 0; round < 2; round++) {
    users.forEach((target, i) => {
      const mention = message('hi', { 'm.mentions': { user_ids: [target] } }, '@dave:example.org');
      users.forEach((_, j) => {
        const r = evaluatePushRules(rulesets[j]!, mention, forUser(j));
        t.is(r.highlight, i === j, `${users[j]} on a mention of ${target}`);
      });
      const invite: PushEvent = { type: 'm.room.member', state_key: target, room_id: ROOM, sender: '@dave:example.org', content: { membership: 'invite' } };
      users.forEach((_, j) => t.is(evaluatePushRules(rulesets[j]!, invite, forUser(j)).ruleId === '.m.rule.invite_for_me', i === j));
      const byName = message(`ping ${target.slice(1, target.indexOf(':'))}`, {}, '@dave:example.org');
      users.forEach((_, j) => t.is(evaluatePushRules(rulesets[j]!, byName, forUser(j)).highlight, i === j));
    });
  }
});

test('shared rules answer each event for itself, whether one event goes to many users or events alternate', (t) => {
  const DAVE = '@dave:example.org';
  const users = ['@alice:example.org', '@bob:example.org', '@carol:example.org'];
  const rulesets = users.map((u) => defaultPushRules(u));
  const forUser = (j: number) => ctx({ userId: users[j]!, displayName: undefined });
  const events: Array<{ event: PushEvent; notify: boolean; ruleId: string | undefined }> = [
    { event: message('plain words', {}, DAVE), notify: true, ruleId: '.m.rule.message' },
    { event: message('a notice', { msgtype: 'm.notice' }, DAVE), notify: false, ruleId: '.m.rule.suppress_notices' },
    { event: { type: 'm.reaction', room_id: ROOM, sender: DAVE, content: {} }, notify: false, ruleId: '.m.rule.reaction' },
    { event: message('edited', { 'm.relates_to': { rel_type: 'm.replace', event_id: '$x' } }, DAVE), notify: false, ruleId: '.m.rule.suppress_edits' },
  ];
  // Each event to every user in turn, then the events interleaved, then two equal events that are
  // different objects: every answer must be the event's own.
  const order = [...events.flatMap((e) => users.map((_, j) => ({ e, j }))), ...users.flatMap((_, j) => events.map((e) => ({ e, j })))];
  for (const { e, j } of order) {
    const r = evaluatePushRules(rulesets[j]!, e.event, forUser(j));
    t.is(r.notify, e.notify, `${String(e.event.type)} for ${users[j]}`);
    t.is(r.ruleId, e.ruleId);
  }
  const notice = message('x', { msgtype: 'm.notice' }, DAVE);
  const text = message('x', {}, DAVE);
  for (let k = 0; k < 3; k++) {
    t.false(evaluatePushRules(rulesets[0]!, notice, forUser(0)).notify);
    t.true(evaluatePushRules(rulesets[0]!, text, forUser(0)).notify);
  }
});
