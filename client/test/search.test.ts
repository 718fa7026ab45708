import test from 'ava';
import { applySync, emptySyncState } from '../src/matrix/sync/accumulator';
import { searchMessages } from '../src/matrix/search';
import { ME, ev, joined, msg } from './fixtures';

const ROOM = '!r:hs.test';

test('finds messages as they read now, thread replies included, newest first', (t) => {
  const typo = msg('lunch at noom', { sender: ME });
  const fix = ev('m.room.message', { msgtype: 'm.text', body: '* lunch at noon', 'm.new_content': { msgtype: 'm.text', body: 'lunch at noon' }, 'm.relates_to': { rel_type: 'm.replace', event_id: typo.event_id } }, { sender: ME });
  const inThread = ev('m.room.message', { msgtype: 'm.text', body: 'Lunch? yes', 'm.relates_to': { rel_type: 'm.thread', event_id: typo.event_id } });
  const deleted = msg('lunch is cancelled');
  const s = applySync(emptySyncState(), joined(ROOM, { timeline: { events: [typo, fix, inThread, deleted, ev('m.room.redaction', {}, { redacts: deleted.event_id })] } }), ME).state;
  const hits = searchMessages(Object.values(s.rooms), 'LUNCH');
  t.deepEqual(
    hits.map((h) => h.event.content.body),
    ['Lunch? yes', 'lunch at noon'],
    'the edit is not a hit of its own; the deleted message is gone',
  );
  t.is(hits[1]!.event.event_id, typo.event_id, 'a hit names the original event');
  t.deepEqual(searchMessages(Object.values(s.rooms), 'noom'), [], 'old text is not found');
  t.deepEqual(searchMessages(Object.values(s.rooms), '   '), []);
});

test('encrypted messages are found by what they decrypted to', (t) => {
  const enc = ev('m.room.encrypted', { algorithm: 'm.megolm.v1.aes-sha2', ciphertext: 'x' });
  const s = applySync(emptySyncState(), joined(ROOM, { timeline: { events: [enc] } }), ME).state;
  t.is(searchMessages(Object.values(s.rooms), 'secret').length, 0);
  const decrypted = { [enc.event_id]: { ok: true as const, type: 'm.room.message', content: { msgtype: 'm.text', body: 'the secret plan' }, shield: { color: 'none' as const, message: undefined } } };
  t.is(searchMessages(Object.values(s.rooms), 'secret', decrypted)[0]?.event.event_id, enc.event_id);
});
