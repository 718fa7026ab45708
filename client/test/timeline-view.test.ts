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
