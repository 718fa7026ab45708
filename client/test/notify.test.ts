import test from 'ava';
import { notificationFor } from '../src/matrix/notify';
import { muteRule, type PushRuleset } from '../src/matrix/push-rules';
import { applySync, emptySyncState } from '../src/matrix/sync/accumulator';
import { BOB, ME, ev, joined, member, msg } from './fixtures';

const ROOM = '!r:hs.test';
const room = applySync(
  emptySyncState(),
  joined(ROOM, { state: { events: [member(ME, 'join', 'Me'), member(BOB, 'join', 'Bob'), member('@c:hs.test', 'join'), ev('m.room.name', { name: 'Team' }, { state_key: '' })] } }),
  ME,
).state.rooms[ROOM]!;
const RULES: PushRuleset = {
  override: [{ rule_id: '.m.rule.is_user_mention', conditions: [{ kind: 'event_property_contains', key: 'content.m\\.mentions.user_ids', value: ME }], actions: ['notify', { set_tweak: 'highlight' }] }],
  underride: [{ rule_id: '.m.rule.message', conditions: [{ kind: 'event_match', key: 'type', pattern: 'm.room.message' }], actions: ['notify'] }],
};

test('messages notify with the room and sender; mentions say so', (t) => {
  t.deepEqual(notificationFor(room, msg('hello'), RULES, ME, 'Me'), { title: 'Team', body: 'Bob: hello', highlight: false });
  t.deepEqual(notificationFor(room, msg('hi', { content: { msgtype: 'm.text', body: 'hi', 'm.mentions': { user_ids: [ME] } } }), RULES, ME, 'Me'), {
    title: 'Bob mentioned you in Team',
    body: 'Bob: hi',
    highlight: true,
  });
  t.is(notificationFor(room, ev('m.room.message', { msgtype: 'm.image', body: 'x.png' }), RULES, ME, 'Me')?.body, 'Bob: Sent an image');
});

test('own messages, state, reactions and muted rooms stay quiet', (t) => {
  t.is(notificationFor(room, msg('mine', { sender: ME }), RULES, ME, 'Me'), undefined);
  t.is(notificationFor(room, ev('m.room.topic', { topic: 'x' }, { state_key: '' }), RULES, ME, 'Me'), undefined);
  t.is(notificationFor(room, ev('m.reaction', { 'm.relates_to': { rel_type: 'm.annotation', event_id: '$x', key: '👍' } }), RULES, ME, 'Me'), undefined);
  const muted: PushRuleset = { ...RULES, override: [{ rule_id: ROOM, ...muteRule(ROOM) }, ...RULES.override!] };
  t.is(notificationFor(room, msg('hello', { content: { msgtype: 'm.text', body: 'hello', 'm.mentions': { user_ids: [ME] } } }), muted, ME, 'Me'), undefined);
});

test('without push rules (not loaded yet) messages notify and mentions highlight', (t) => {
  t.like(notificationFor(room, msg('hey Me!'), undefined, ME, 'Me'), { highlight: true });
  t.like(notificationFor(room, msg('hey'), undefined, ME, 'Me'), { highlight: false, body: 'Bob: hey' });
});
