import test from 'ava';
import { applySync, emptySyncState } from '../src/matrix/sync/accumulator';
import { searchMessages } from '../src/matrix/search';
import { hitsFromServer, mergeHits, messageSearchCriteria, type SearchResult } from '../src/matrix/server-search';
import { ME, ev, joined, msg } from './fixtures';

const PLAIN = '!plain:hs.test';
const SECRET = '!secret:hs.test';

const result = (e: ReturnType<typeof msg>, roomId = PLAIN): SearchResult => ({ rank: 0.1, result: { ...e, room_id: roomId } });

test('the criteria: message bodies, newest first, in the given rooms or all', (t) => {
  t.deepEqual(messageSearchCriteria('  lunch ', ['!a:hs.test']), {
    search_term: 'lunch',
    keys: ['content.body'],
    order_by: 'recent',
    filter: { limit: 20, types: ['m.room.message'], rooms: ['!a:hs.test'] },
  });
  t.false('rooms' in messageSearchCriteria('lunch').filter!);
});

test('server results become hits; an edit stands for the message it edits', (t) => {
  const original = msg('lunch at noom', { sender: ME });
  const edit = ev('m.room.message', { msgtype: 'm.text', body: '* lunch at noon', 'm.new_content': { msgtype: 'm.text', body: 'lunch at noon' }, 'm.relates_to': { rel_type: 'm.replace', event_id: original.event_id } }, { sender: ME });
  const lone = ev('m.room.message', { msgtype: 'm.text', body: '* lunch later', 'm.new_content': { msgtype: 'm.text', body: 'lunch later' }, 'm.relates_to': { rel_type: 'm.replace', event_id: '$unseen' } });
  const topic = ev('m.room.topic', { topic: 'lunch' }, { state_key: '' });
  const hits = hitsFromServer([result(edit), result(original), result(lone), result(topic)]);
  t.deepEqual(
    hits.map((h) => [h.roomId, h.event.event_id, h.event.content.body]),
    [
      [PLAIN, original.event_id, 'lunch at noon'],
      [PLAIN, '$unseen', 'lunch later'],
    ],
  );
  t.is(hits[0]!.event.origin_server_ts, original.origin_server_ts, "the original's time, not the edit's");
  t.is(hits[0]!.event.sender, ME);
});

test('merged: one hit per event, the local one preferred, newest first', (t) => {
  // The encrypted room was unencrypted once: the server has its early message too.
  const early = msg('picnic on sunday');
  const secret = ev('m.room.encrypted', { algorithm: 'm.megolm.v1.aes-sha2', ciphertext: 'x' });
  const s = applySync(emptySyncState(), joined(SECRET, { timeline: { events: [early, secret] } }), ME).state;
  const decrypted = { [secret.event_id]: { ok: true as const, type: 'm.room.message', content: { msgtype: 'm.text', body: 'picnic moved to monday' }, shield: { color: 'none' as const, message: undefined } } };
  const local = searchMessages(Object.values(s.rooms), 'picnic', decrypted);
  t.is(local.length, 2);

  const older = msg('picnic photos');
  const newer = msg('the picnic was fun');
  const server = hitsFromServer([result(newer), result({ ...early, content: { ...early.content, body: 'picnic on sunday (server copy)' } }, SECRET), result(older)]);
  // Ordered by when they were sent, whichever side found them.
  const merged = mergeHits(local, server);
  t.deepEqual(
    merged.map((h) => h.event.event_id),
    [newer, older, secret, early].map((e) => e.event_id),
  );
  t.is(merged.find((h) => h.event.event_id === early.event_id)!.event.content.body, 'picnic on sunday', 'the local copy wins');
  t.is(merged.find((h) => h.event.event_id === secret.event_id)!.event.content.body, 'picnic moved to monday');
  t.deepEqual(mergeHits([], []), []);
  t.deepEqual(mergeHits(local, []).map((h) => h.event.event_id), local.map((h) => h.event.event_id));
});
