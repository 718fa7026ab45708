import test from 'ava';
import { applySync, emptySyncState } from '../src/matrix/sync/accumulator';
import { buildTimeline, firstUnread, mentions, type EventItem } from '../src/matrix/timeline-view';
import { BOB, ME, ev, joined, msg } from './fixtures';

const ROOM = '!r:hs.test';
const events = (items: ReturnType<typeof buildTimeline>): EventItem[] => items.filter((i): i is EventItem => i.kind === 'event');

test('edits, reactions and replies are folded into their targets', (t) => {
  const original = msg('helo', { sender: ME });
  const edit = ev('m.room.message', { msgtype: 'm.text', body: '* hello', 'm.new_content': { msgtype: 'm.text', body: 'hello' }, 'm.relates_to': { rel_type: 'm.replace', event_id: original.event_id } }, { sender: ME });
  const forged = ev('m.room.message', { msgtype: 'm.text', body: '* hacked', 'm.new_content': { msgtype: 'm.text', body: 'hacked' }, 'm.relates_to': { rel_type: 'm.replace', event_id: original.event_id } }, { sender: BOB });
  const r1 = ev('m.reaction', { 'm.relates_to': { rel_type: 'm.annotation', event_id: original.event_id, key: '👍' } }, { sender: BOB });
  const r2 = ev('m.reaction', { 'm.relates_to': { rel_type: 'm.annotation', event_id: original.event_id, key: '👍' } }, { sender: ME });
  const reply = ev('m.room.message', { msgtype: 'm.text', body: 'yes', 'm.relates_to': { 'm.in_reply_to': { event_id: original.event_id } } });
  const s = applySync(emptySyncState(), joined(ROOM, { timeline: { events: [original, edit, forged, r1, r2, reply] } }), ME).state;
  const items = events(buildTimeline(s.rooms[ROOM]!, ME));
  t.is(items.length, 2, 'edits and reactions are not shown on their own');
  t.is(items[0]!.content.body, 'hello');
  t.true(items[0]!.edited);
  t.true(items[0]!.editable);
  t.deepEqual(items[0]!.reactions, [{ key: '👍', count: 2, senders: [BOB, ME], ownEventId: r2.event_id }]);
  t.is(items[1]!.replyTo, original.event_id);
});

test('day separators and sender groups', (t) => {
  const day = 24 * 3600_000;
  const base = new Date(2024, 0, 1, 12).getTime();
  const a = msg('a', { origin_server_ts: base });
  const b = msg('b', { origin_server_ts: base + 1000 });
  const c = msg('c', { origin_server_ts: base + 2000, sender: ME });
  const d = msg('d', { origin_server_ts: base + day });
  const s = applySync(emptySyncState(), joined(ROOM, { timeline: { events: [a, b, c, d] } }), ME).state;
  const items = buildTimeline(s.rooms[ROOM]!, ME);
  t.deepEqual(
    items.map((i) => (i.kind === 'day' ? 'day' : `${String(i.content.body)}${i.groupStart ? '*' : ''}`)),
    ['day', 'a*', 'b', 'c*', 'day', 'd*'],
  );
});

test('read receipts sit on the last message someone else sent, at or before them', (t) => {
  const mine = msg('mine', { sender: ME });
  const theirs = msg('theirs', { sender: BOB });
  const reaction = ev('m.reaction', { 'm.relates_to': { rel_type: 'm.annotation', event_id: mine.event_id, key: 'x' } }, { sender: BOB });
  const s = applySync(
    emptySyncState(),
    joined(ROOM, { timeline: { events: [mine, theirs, reaction] }, ephemeral: { events: [{ type: 'm.receipt', content: { [reaction.event_id]: { 'm.read': { [BOB]: { ts: 1 } } } } }] } }),
    ME,
  ).state;
  const items = events(buildTimeline(s.rooms[ROOM]!, ME));
  t.deepEqual(items[0]!.readBy, [BOB], 'Bob has read my message (his own and the reaction say nothing)');
  t.deepEqual(items[1]!.readBy, []);
});

test('pending local echoes come last and are marked', (t) => {
  const s = applySync(emptySyncState(), joined(ROOM, { timeline: { events: [msg('a')] } }), ME).state;
  const items = events(buildTimeline(s.rooms[ROOM]!, ME, [{ txnId: 't1', type: 'm.room.message', content: { msgtype: 'm.text', body: 'sending' }, ts: Date.now(), failed: false }]));
  t.true(items[1]!.pending);
  t.is(items[1]!.content.body, 'sending');
});

test('redacted messages show as deleted without reactions', (t) => {
  const target = msg('x');
  const r = ev('m.reaction', { 'm.relates_to': { rel_type: 'm.annotation', event_id: target.event_id, key: 'y' } });
  const s = applySync(emptySyncState(), joined(ROOM, { timeline: { events: [target, r, ev('m.room.redaction', {}, { redacts: target.event_id })] } }), ME).state;
  const items = events(buildTimeline(s.rooms[ROOM]!, ME));
  t.true(items[0]!.redacted);
  t.deepEqual(items[0]!.reactions, []);
});

test('first unread follows our receipt; mentions by ID, name or m.mentions', (t) => {
  const a = msg('a');
  const b = msg('b');
  const s = applySync(emptySyncState(), joined(ROOM, { timeline: { events: [a, b] }, ephemeral: { events: [{ type: 'm.receipt', content: { [a.event_id]: { 'm.read': { [ME]: { ts: 1 } } } } }] } }), ME).state;
  t.is(firstUnread(s.rooms[ROOM]!, ME)?.event_id, b.event_id);
  t.true(mentions({ body: 'hey Me there' }, ME, 'me'));
  t.true(mentions({ body: 'x', 'm.mentions': { user_ids: [ME] } }, ME, undefined));
  t.false(mentions({ body: 'nothing' }, ME, 'Alice'));
});

test('encrypted events show what they decrypted to, edits and reactions included', (t) => {
  const enc = (extra: Record<string, unknown> = {}) => ev('m.room.encrypted', { algorithm: 'm.megolm.v1.aes-sha2', ciphertext: 'x', ...extra });
  const original = enc();
  const edit = enc({ 'm.relates_to': { rel_type: 'm.replace', event_id: original.event_id } });
  const reaction = enc({ 'm.relates_to': { rel_type: 'm.annotation', event_id: original.event_id } });
  const locked = enc();
  const s = applySync(emptySyncState(), joined(ROOM, { timeline: { events: [original, edit, reaction, locked] } }), ME).state;
  const shield = { color: 'red' as const, message: 'unverified' };
  const items = events(
    buildTimeline(s.rooms[ROOM]!, ME, [], {
      [original.event_id]: { ok: true, type: 'm.room.message', content: { msgtype: 'm.text', body: 'secret' }, shield },
      [edit.event_id]: { ok: true, type: 'm.room.message', content: { msgtype: 'm.text', body: '* secret!', 'm.new_content': { msgtype: 'm.text', body: 'secret!' }, 'm.relates_to': { rel_type: 'm.replace', event_id: original.event_id } }, shield },
      [reaction.event_id]: { ok: true, type: 'm.reaction', content: { 'm.relates_to': { rel_type: 'm.annotation', event_id: original.event_id, key: '🔒' } }, shield },
    }),
  );
  t.is(items.length, 2, 'the edit and the reaction are folded in');
  t.is(items[0]!.content.body, 'secret!');
  t.true(items[0]!.edited);
  t.true(items[0]!.encrypted);
  t.deepEqual(items[0]!.shield, shield);
  t.is(items[0]!.reactions[0]?.key, '🔒');
  t.truthy(items[1]!.undecryptable, 'no key yet: said so');
});

test('thread replies live in their thread; the root shows how many there are', (t) => {
  const root = msg('root');
  const r1 = ev('m.room.message', { msgtype: 'm.text', body: 'in thread 1', 'm.relates_to': { rel_type: 'm.thread', event_id: root.event_id, is_falling_back: true, 'm.in_reply_to': { event_id: root.event_id } } }, { sender: ME });
  const r2 = ev('m.room.message', { msgtype: 'm.text', body: 'in thread 2', 'm.relates_to': { rel_type: 'm.thread', event_id: root.event_id, is_falling_back: true, 'm.in_reply_to': { event_id: r1.event_id } } });
  const after = msg('main again');
  const s = applySync(emptySyncState(), joined(ROOM, { timeline: { events: [root, r1, r2, after] } }), ME).state;
  const main = events(buildTimeline(s.rooms[ROOM]!, ME));
  t.deepEqual(main.map((i) => i.content.body), ['root', 'main again']);
  t.is(main[0]!.thread?.count, 2);
  t.is(main[0]!.thread?.latest?.event_id, r2.event_id);
  t.true(main[0]!.thread?.participated);
  const pending = [{ txnId: 't', type: 'm.room.message', content: { msgtype: 'm.text', body: 'sending', 'm.relates_to': { rel_type: 'm.thread', event_id: root.event_id } }, ts: Date.now(), failed: false }];
  const thread = events(buildTimeline(s.rooms[ROOM]!, ME, pending, {}, { thread: root.event_id }));
  t.deepEqual(thread.map((i) => i.content.body), ['root', 'in thread 1', 'in thread 2', 'sending']);
  t.is(thread[2]!.replyTo, undefined, 'the thread fallback is not shown as a reply');
  t.is(events(buildTimeline(s.rooms[ROOM]!, ME, pending)).length, 2, 'a pending thread reply stays out of the main timeline');
});

test('a thread fetched from the server merges with the timeline by time', (t) => {
  const root = msg('root', { origin_server_ts: 1000, unsigned: { 'm.relations': { 'm.thread': { count: 5, current_user_participated: false } } } });
  const s = applySync(emptySyncState(), joined(ROOM, { timeline: { events: [root] } }), ME).state;
  t.is(events(buildTimeline(s.rooms[ROOM]!, ME))[0]!.thread?.count, 5, 'the bundled summary counts replies not loaded');
  const older = ev('m.room.message', { msgtype: 'm.text', body: 'fetched', 'm.relates_to': { rel_type: 'm.thread', event_id: root.event_id } }, { origin_server_ts: 2000 });
  const thread = events(buildTimeline(s.rooms[ROOM]!, ME, [], {}, { thread: root.event_id, extra: [older] }));
  t.deepEqual(thread.map((i) => i.content.body), ['root', 'fetched']);
});

test('a deleted edit or reaction stays hidden instead of showing as a deleted message', (t) => {
  const original = msg('text', { sender: ME });
  const edit = ev('m.room.message', { msgtype: 'm.text', body: '* text2', 'm.new_content': { msgtype: 'm.text', body: 'text2' }, 'm.relates_to': { rel_type: 'm.replace', event_id: original.event_id } }, { sender: ME });
  const s = applySync(emptySyncState(), joined(ROOM, { timeline: { events: [original, edit, ev('m.room.redaction', {}, { redacts: edit.event_id, sender: ME })] } }), ME).state;
  const items = events(buildTimeline(s.rooms[ROOM]!, ME));
  t.is(items.length, 1);
  t.is(items[0]!.content.body, 'text');
  t.false(items[0]!.edited);
});
