import test from 'ava';
import { RecentEvents } from '../../src/components/rooms/recent-events.js';
import type { StoredEvent } from '../../src/components/rooms/storage/events.js';

const event = (roomId: string, stream: number): StoredEvent => ({ eventId: `$${roomId}${stream}`, roomId, streamOrdering: stream, outlier: false }) as StoredEvent;

test('oldestIn names the oldest event of a range, as range does, and says when memory cannot tell', (t) => {
  const recent = new RecentEvents(10);
  recent.observe([11, 12, 14, 17].map((s) => event('a', s)));
  for (const [from, to] of [
    [10, 20],
    [11, 20],
    [12, 16],
    [14, 14],
    [17, 30],
    [13, 13],
  ] as const) {
    const ids = recent.range('a', from, to)!;
    t.is(recent.oldestIn('a', from, to), ids[0] ?? null, `(${from}, ${to}]`);
  }
  t.is(recent.oldestIn('b', 10, 20), null);
  // Before the start position memory holds nothing for sure.
  t.is(recent.oldestIn('a', 9, 20), undefined);
  // Past 256 events of a room the oldest are dropped: a range reaching back to them is unknown.
  recent.observe(Array.from({ length: 300 }, (_, i) => event('a', 100 + i)));
  t.is(recent.oldestIn('a', 50, 500), undefined);
  t.is(recent.oldestIn('a', 390, 500), '$a391');
});

test('roomsWithEvents and range answer as a scan of everything observed would', (t) => {
  const recent = new RecentEvents(0);
  // Two rooms with interleaved, gapped stream positions; one of them past the 256 kept per room.
  const all: StoredEvent[] = [];
  for (let s = 1; s <= 700; s++) if (s % 3 !== 0 || s < 200) all.push(event(s % 2 === 0 || s > 600 ? 'a' : 'b', s));
  recent.observe(all);
  const kept = (room: string) => all.filter((e) => e.roomId === room).slice(-256);
  for (const [from, to] of [
    [0, 700],
    [400, 700],
    [690, 700],
    [695, 696],
    [696, 697],
    [699, 699],
    [700, 800],
    [650, 660],
    [598, 598],
  ] as const) {
    const want = new Set(['a', 'b', 'c'].filter((r) => all.some((e) => e.roomId === r && e.streamOrdering > from && e.streamOrdering <= to)));
    // Whether memory vouches for a room's events after `from`: nothing dropped, or nothing dropped after it.
    const complete = (room: string) => kept(room).length < 256 || kept(room)[0]!.streamOrdering <= from;
    if (complete('a') && complete('b')) {
      t.deepEqual(recent.roomsWithEvents(['a', 'b', 'c'], from, to), want, `rooms in (${from}, ${to}]`);
    }
    for (const room of ['a', 'b']) {
      const list = kept(room);
      const expected = complete(room) ? list.filter((e) => e.streamOrdering > from && e.streamOrdering <= to).map((e) => e.eventId) : undefined;
      t.deepEqual(recent.range(room, from, to), expected, `range of ${room} in (${from}, ${to}]`);
    }
  }
  t.deepEqual(recent.range('c', 10, 20), []);
});
