import test from 'ava';
import { applySync, emptySyncState } from '../src/matrix/sync/accumulator';
import { lastMessagePreview } from '../src/matrix/preview';
import { BOB, ME, ev, joined, member, msg } from './fixtures';

const ROOM = '!r:hs.test';
const edit = (target: string, body: string, sender = BOB) =>
  ev('m.room.message', { msgtype: 'm.text', body: `* ${body}`, 'm.new_content': { msgtype: 'm.text', body }, 'm.relates_to': { rel_type: 'm.replace', event_id: target } }, { sender });
const room = (events: ReturnType<typeof msg>[]) => applySync(emptySyncState(), joined(ROOM, { state: { events: [member(BOB, 'join', 'Bob')] }, timeline: { events } }), ME).state.rooms[ROOM]!;

test('an edited last message shows its new text, not the edit fallback', (t) => {
  const original = msg('helo');
  const p = lastMessagePreview(room([original, edit(original.event_id, 'hello'), edit(original.event_id, 'hello!')]), ME);
  t.is(p?.text, 'hello!');
  t.is(p?.who, 'Bob');
  t.is(p?.event.event_id, original.event_id);
});

test('an edit by someone else is ignored; a deleted edit falls back to the one before', (t) => {
  const original = msg('mine', { sender: ME });
  const forged = edit(original.event_id, 'forged');
  const good = edit(original.event_id, 'fixed', ME);
  const later = edit(original.event_id, 'oops', ME);
  const r = room([original, good, forged, later, ev('m.room.redaction', {}, { redacts: later.event_id, sender: ME })]);
  t.deepEqual(lastMessagePreview(r, ME)?.text, 'fixed');
  t.is(lastMessagePreview(r, ME)?.who, 'You');
});

test('the server’s bundled edit counts when the edit itself is not loaded', (t) => {
  const original = msg('old', { unsigned: { 'm.relations': { 'm.replace': edit('$x', 'new') } } });
  t.is(lastMessagePreview(room([original]), ME)?.text, 'new');
});

test('reactions, deleted relations and state are skipped; deleted messages say so', (t) => {
  const a = msg('first');
  const b = msg('second');
  const reaction = ev('m.reaction', { 'm.relates_to': { rel_type: 'm.annotation', event_id: a.event_id, key: '👍' } });
  const e = edit(a.event_id, 'first!');
  const r = room([a, b, reaction, e, ev('m.room.redaction', {}, { redacts: e.event_id }), ev('m.room.topic', { topic: 'x' }, { state_key: '' })]);
  t.is(lastMessagePreview(r, ME)?.text, 'second', 'a deleted edit does not become a "deleted message"');
  const deleted = room([a, ev('m.room.redaction', {}, { redacts: a.event_id })]);
  t.is(lastMessagePreview(deleted, ME)?.text, 'Message deleted');
});

test('encrypted: the decrypted edit of the last message, never its fallback', (t) => {
  const enc = (extra: Record<string, unknown> = {}) => ev('m.room.encrypted', { algorithm: 'm.megolm.v1.aes-sha2', ciphertext: 'x', ...extra });
  const original = enc();
  const e = enc({ 'm.relates_to': { rel_type: 'm.replace', event_id: original.event_id } });
  const r = room([original, e]);
  t.is(lastMessagePreview(r, ME)?.text, 'Encrypted message');
  const decrypted = {
    [original.event_id]: { ok: true as const, type: 'm.room.message', content: { msgtype: 'm.text', body: 'secret' }, shield: { color: 'none' as const, message: undefined } },
    [e.event_id]: {
      ok: true as const,
      type: 'm.room.message',
      content: { msgtype: 'm.text', body: '* secret!', 'm.new_content': { msgtype: 'm.text', body: 'secret!' }, 'm.relates_to': { rel_type: 'm.replace', event_id: original.event_id } },
      shield: { color: 'none' as const, message: undefined },
    },
  };
  t.is(lastMessagePreview(r, ME, decrypted)?.text, 'secret!');
});

test('media and replies are described in one line', (t) => {
  t.is(lastMessagePreview(room([ev('m.room.message', { msgtype: 'm.image', body: 'cat.png' })]), ME)?.text, 'Sent an image');
  t.is(lastMessagePreview(room([ev('m.room.message', { msgtype: 'm.audio', body: 'v.ogg', 'org.matrix.msc3245.voice': {} })]), ME)?.text, 'Voice message');
  t.is(lastMessagePreview(room([msg('> <@a:hs> quoted\n\nmy answer')]), ME)?.text, 'my answer');
});
