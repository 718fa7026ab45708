import test from 'ava';
import { evaluatePushRules, globMatch, isRoomMutedByRules, muteRule, splitPath, valueAt, type PushContext, type PushRuleset } from '../src/matrix/push-rules';
import type { MatrixEvent } from '../src/matrix/types';

const ME = '@me:hs.test';
const ROOM = '!r:hs.test';
const ctx: PushContext = { ownUserId: ME, displayName: 'Me Myself', memberCount: 3, senderPower: 0, notificationPowers: { room: 50 } };
const event = (content: Record<string, unknown>, extra: Partial<MatrixEvent> = {}): MatrixEvent => ({
  type: 'm.room.message',
  content,
  sender: '@bob:hs.test',
  event_id: '$1',
  origin_server_ts: 1,
  room_id: ROOM,
  ...extra,
});

/** The spec's predefined rules that matter for messages (as the server sends them). */
const DEFAULTS: PushRuleset = {
  override: [
    { rule_id: '.m.rule.master', default: true, enabled: false, conditions: [], actions: [] },
    { rule_id: '.m.rule.suppress_notices', default: true, enabled: true, conditions: [{ kind: 'event_match', key: 'content.msgtype', pattern: 'm.notice' }], actions: [] },
    { rule_id: '.m.rule.is_user_mention', default: true, enabled: true, conditions: [{ kind: 'event_property_contains', key: 'content.m\\.mentions.user_ids', value: ME }], actions: ['notify', { set_tweak: 'highlight' }] },
    {
      rule_id: '.m.rule.is_room_mention',
      default: true,
      enabled: true,
      conditions: [
        { kind: 'event_property_is', key: 'content.m\\.mentions.room', value: true },
        { kind: 'sender_notification_permission', key: 'room' },
      ],
      actions: ['notify', { set_tweak: 'highlight' }],
    },
    { rule_id: '.m.rule.suppress_edits', default: true, enabled: true, conditions: [{ kind: 'event_property_is', key: 'content.m\\.relates_to.rel_type', value: 'm.replace' }], actions: [] },
  ],
  underride: [
    { rule_id: '.m.rule.room_one_to_one', default: true, enabled: true, conditions: [{ kind: 'room_member_count', is: '2' }, { kind: 'event_match', key: 'type', pattern: 'm.room.message' }], actions: ['notify', { set_tweak: 'sound', value: 'default' }] },
    { rule_id: '.m.rule.message', default: true, enabled: true, conditions: [{ kind: 'event_match', key: 'type', pattern: 'm.room.message' }], actions: ['notify'] },
  ],
};

test('dotted paths with escaped dots', (t) => {
  t.deepEqual(splitPath('content.m\\.mentions.user_ids'), ['content', 'm.mentions', 'user_ids']);
  t.deepEqual(splitPath('a\\\\b.c'), ['a\\b', 'c']);
  t.deepEqual(valueAt({ content: { 'm.mentions': { room: true } } }, 'content.m\\.mentions.room'), true);
  t.is(valueAt({ content: {} }, 'content.body.length'), undefined);
});

test('globs: whole value, case-insensitive; content.body matches whole words', (t) => {
  t.true(globMatch('lunc?*', 'LUNCH plans'));
  t.false(globMatch('lunc?*', ' lunch'));
  t.false(globMatch('lunc?', 'lunc'));
  t.true(globMatch('ex*ple', 'An example event.', true));
  t.true(globMatch('ex*ple', 'An exciting triple-whammy', true));
  t.false(globMatch('ample', 'An example event.', true));
});

test('messages notify; mentions highlight; notices and edits do not notify', (t) => {
  t.like(evaluatePushRules(DEFAULTS, event({ msgtype: 'm.text', body: 'hi' }), ctx), { notify: true, highlight: false, ruleId: '.m.rule.message' });
  t.like(evaluatePushRules(DEFAULTS, event({ msgtype: 'm.text', body: 'hi', 'm.mentions': { user_ids: [ME] } }), ctx), { notify: true, highlight: true });
  t.like(evaluatePushRules(DEFAULTS, event({ msgtype: 'm.notice', body: 'bot' }), ctx), { notify: false });
  t.like(evaluatePushRules(DEFAULTS, event({ body: '* x', 'm.relates_to': { rel_type: 'm.replace', event_id: '$0' } }), ctx), { notify: false, ruleId: '.m.rule.suppress_edits' });
  t.like(evaluatePushRules(DEFAULTS, event({ body: 'hi' }, { sender: ME }), ctx), { notify: false }, 'our own events never notify');
});

test('a room mention needs the power to notify the room', (t) => {
  const atRoom = event({ msgtype: 'm.text', body: '@room', 'm.mentions': { room: true } });
  t.like(evaluatePushRules(DEFAULTS, atRoom, ctx), { highlight: false, ruleId: '.m.rule.message' });
  t.like(evaluatePushRules(DEFAULTS, atRoom, { ...ctx, senderPower: 50 }), { highlight: true, ruleId: '.m.rule.is_room_mention' });
});

test('member counts, display names, content, room and sender rules; unknown conditions never match', (t) => {
  t.like(evaluatePushRules(DEFAULTS, event({ msgtype: 'm.text', body: 'x' }), { ...ctx, memberCount: 2 }), { ruleId: '.m.rule.room_one_to_one' });
  const rules: PushRuleset = {
    override: [{ rule_id: 'odd', conditions: [{ kind: 'im_new_here' }], actions: ['notify'] }, { rule_id: 'dn', conditions: [{ kind: 'contains_display_name' }], actions: ['notify', { set_tweak: 'highlight', value: false }] }],
    content: [{ rule_id: 'beer', pattern: 'beer', actions: ['notify', { set_tweak: 'highlight' }] }],
    room: [{ rule_id: '!quiet:hs.test', actions: ['dont_notify'] }],
    sender: [{ rule_id: '@boss:hs.test', actions: ['notify'] }],
  };
  t.like(evaluatePushRules(rules, event({ body: 'hey me myself!' }), ctx), { notify: true, highlight: false, ruleId: 'dn' });
  t.like(evaluatePushRules(rules, event({ body: 'Beer at 5?' }), ctx), { highlight: true, ruleId: 'beer' });
  t.like(evaluatePushRules(rules, event({ body: 'beers' }), ctx), { notify: false, ruleId: undefined });
  t.like(evaluatePushRules(rules, event({ body: 'x' }, { room_id: '!quiet:hs.test' }), ctx), { notify: false, ruleId: '!quiet:hs.test' }, 'dont_notify means no notification');
  t.like(evaluatePushRules(rules, event({ body: 'x' }, { sender: '@boss:hs.test' }), ctx), { notify: true, ruleId: '@boss:hs.test' });
});

test('the mute rule silences its room, and only that room, until it is removed', (t) => {
  const muted: PushRuleset = { ...DEFAULTS, override: [{ rule_id: ROOM, enabled: true, ...muteRule(ROOM) }, ...DEFAULTS.override!] };
  t.like(evaluatePushRules(muted, event({ msgtype: 'm.text', body: 'hi', 'm.mentions': { user_ids: [ME] } }), ctx), { notify: false, ruleId: ROOM });
  t.like(evaluatePushRules(muted, event({ msgtype: 'm.text', body: 'hi' }, { room_id: '!other:hs.test' }), ctx), { notify: true });
  t.true(isRoomMutedByRules(muted, ROOM));
  t.false(isRoomMutedByRules(muted, '!other:hs.test'));
  t.false(isRoomMutedByRules(DEFAULTS, ROOM));
  t.true(isRoomMutedByRules({ room: [{ rule_id: ROOM, actions: ['dont_notify'] }] }, ROOM));
  t.false(isRoomMutedByRules({ room: [{ rule_id: ROOM, enabled: false, actions: [] }] }, ROOM));
});
