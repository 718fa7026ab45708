import test from 'ava';
import { applySync, emptySyncState, prependHistory, trimForStorage } from '../src/matrix/sync/accumulator';
import { BOB, ME, ev, joined, member, msg } from './fixtures';

const ROOM = '!r:hs.test';

test('a first sync builds the room: state, timeline, counts, summary', (t) => {
  const create = ev('m.room.create', { room_version: '11' }, { state_key: '' });
  const bob = member(BOB, 'join', 'Bob');
  const me = member(ME, 'join', 'Me');
  const hello = msg('hello');
  const { state, changed } = applySync(
    emptySyncState(),
    joined(ROOM, {
      state: { events: [bob] },
      timeline: { events: [create, me, hello], limited: false, prev_batch: 'p0' },
      unread_notifications: { notification_count: 1, highlight_count: 0 },
      summary: { 'm.heroes': [BOB], 'm.joined_member_count': 2 },
    }),
    ME,
  );
  t.deepEqual(changed, [ROOM]);
  const room = state.rooms[ROOM]!;
  t.is(state.nextBatch, 's1');
  t.is(room.membership, 'join');
  t.is(room.timeline.length, 3);
  t.is(room.prevBatch, 'p0');
  t.true(room.historyComplete, 'the create event is the start of history');
  t.is(room.state['m.room.member']?.[ME]?.content.displayname, 'Me');
  t.is(room.state['m.room.member']?.[BOB]?.content.displayname, 'Bob');
  t.is(room.notificationCount, 1);
  t.is(room.joinedCount, 2);
  t.is(room.lastActivity, hello.origin_server_ts);
});

test('incremental syncs append, skip duplicates, and leave other rooms untouched', (t) => {
  const a = msg('a');
  const first = applySync(emptySyncState(), { next_batch: 's1', rooms: { join: { [ROOM]: { timeline: { events: [a] } }, '!other:hs.test': { timeline: { events: [msg('x')] } } } } }, ME).state;
  const b = msg('b');
  const { state, changed } = applySync(first, joined(ROOM, { timeline: { events: [a, b] } }, 's2'), ME);
  t.deepEqual(state.rooms[ROOM]!.timeline.map((e) => e.content.body), ['a', 'b']);
  t.deepEqual(changed, [ROOM]);
  t.is(state.rooms['!other:hs.test'], first.rooms['!other:hs.test'], 'unchanged rooms keep their identity');
  t.is(first.rooms[ROOM]!.timeline.length, 1, 'the input state is not modified');
});

test('a limited timeline replaces what was there and keeps the new pagination token', (t) => {
  const s1 = applySync(emptySyncState(), joined(ROOM, { timeline: { events: [msg('old')], prev_batch: 'p0' } }), ME).state;
  const s2 = applySync(s1, joined(ROOM, { timeline: { events: [msg('new')], limited: true, prev_batch: 'p9' } }, 's2'), ME).state;
  t.deepEqual(s2.rooms[ROOM]!.timeline.map((e) => e.content.body), ['new']);
  t.is(s2.rooms[ROOM]!.prevBatch, 'p9');
  t.false(s2.rooms[ROOM]!.historyComplete);
});

test('redactions strip the target content and mark it', (t) => {
  const target = msg('secret');
  const s1 = applySync(emptySyncState(), joined(ROOM, { timeline: { events: [target] } }), ME).state;
  const redaction = ev('m.room.redaction', {}, { redacts: target.event_id });
  const s2 = applySync(s1, joined(ROOM, { timeline: { events: [redaction] } }, 's2'), ME).state;
  const redacted = s2.rooms[ROOM]!.timeline[0]!;
  t.deepEqual(redacted.content, {});
  t.is(redacted.unsigned?.redacted_because?.event_id, redaction.event_id);
  t.is(s1.rooms[ROOM]!.timeline[0]!.content.body, 'secret');
});

test('typing replaces, receipts keep the latest per user, private receipts only ours', (t) => {
  const m = msg('hi');
  const s1 = applySync(
    emptySyncState(),
    joined(ROOM, {
      timeline: { events: [m] },
      ephemeral: {
        events: [
          { type: 'm.typing', content: { user_ids: [BOB] } },
          { type: 'm.receipt', content: { [m.event_id]: { 'm.read': { [BOB]: { ts: 5 } }, 'm.read.private': { [ME]: { ts: 6 }, [BOB]: { ts: 7 } } } } },
        ],
      },
    }),
    ME,
  ).state;
  t.deepEqual(s1.rooms[ROOM]!.typing, [BOB]);
  t.deepEqual(s1.rooms[ROOM]!.receipts[BOB], { eventId: m.event_id, ts: 5 });
  t.deepEqual(s1.rooms[ROOM]!.receipts[ME], { eventId: m.event_id, ts: 6 });
  const s2 = applySync(s1, joined(ROOM, { ephemeral: { events: [{ type: 'm.typing', content: { user_ids: [] } }] } }, 's2'), ME).state;
  t.deepEqual(s2.rooms[ROOM]!.typing, []);
  t.deepEqual(s2.rooms[ROOM]!.receipts[BOB], { eventId: m.event_id, ts: 5 }, 'receipts persist across syncs');
});

test('invites, leaves, account data and presence', (t) => {
  const s1 = applySync(
    emptySyncState(),
    {
      next_batch: 's1',
      rooms: { invite: { '!inv:hs.test': { invite_state: { events: [{ type: 'm.room.member', state_key: ME, sender: BOB, content: { membership: 'invite', is_direct: true } }] } } } },
      account_data: { events: [{ type: 'm.direct', content: { [BOB]: ['!inv:hs.test'] } }] },
      presence: { events: [{ type: 'm.presence', sender: BOB, content: { presence: 'online', status_msg: 'around' } }] },
    },
    ME,
  ).state;
  t.is(s1.rooms['!inv:hs.test']!.membership, 'invite');
  t.is(s1.rooms['!inv:hs.test']!.inviteState.length, 1);
  t.deepEqual(s1.accountData['m.direct'], { [BOB]: ['!inv:hs.test'] });
  t.is(s1.presence[BOB]!.statusMsg, 'around');
  const s2 = applySync(s1, { next_batch: 's2', rooms: { join: { '!inv:hs.test': { timeline: { events: [member(ME, 'join')] } } } } }, ME).state;
  t.is(s2.rooms['!inv:hs.test']!.membership, 'join');
  t.deepEqual(s2.rooms['!inv:hs.test']!.inviteState, []);
  const s3 = applySync(s2, { next_batch: 's3', rooms: { leave: { '!inv:hs.test': { timeline: { events: [member(ME, 'leave')] } } } } }, ME).state;
  t.is(s3.rooms['!inv:hs.test']!.membership, 'leave');
});

test('state_after wins over the timeline state', (t) => {
  const name1 = ev('m.room.name', { name: 'One' }, { state_key: '' });
  const name2 = ev('m.room.name', { name: 'Two' }, { state_key: '' });
  const s = applySync(emptySyncState(), joined(ROOM, { timeline: { events: [name1] }, state_after: { events: [name2] } }), ME).state;
  t.is(s.rooms[ROOM]!.state['m.room.name']?.['']?.content.name, 'Two');
});

test('history pages go before the timeline, oldest first, and end at the start of the room', (t) => {
  const s = applySync(emptySyncState(), joined(ROOM, { timeline: { events: [msg('c')], prev_batch: 'p1' } }), ME).state;
  const room = prependHistory(s.rooms[ROOM]!, { start: 'p1', end: 'p2', chunk: [msg('b'), msg('a')] });
  t.deepEqual(room.timeline.map((e) => e.content.body), ['a', 'b', 'c']);
  t.is(room.prevBatch, 'p2');
  t.false(room.historyComplete);
  const last = prependHistory(room, { start: 'p2', chunk: [] });
  t.true(last.historyComplete);
  t.is(last.prevBatch, undefined);
});

test('trimming for storage keeps the newest events and drops the stale token', (t) => {
  const events = Array.from({ length: 10 }, (_, i) => msg(`m${i}`));
  const s = applySync(emptySyncState(), joined(ROOM, { timeline: { events, prev_batch: 'p' } }), ME).state;
  const trimmed = trimForStorage(s.rooms[ROOM]!, 4);
  t.deepEqual(trimmed.timeline.map((e) => e.content.body), ['m6', 'm7', 'm8', 'm9']);
  t.is(trimmed.prevBatch, undefined);
  t.is(trimForStorage(s.rooms[ROOM]!, 40), s.rooms[ROOM]!);
});
