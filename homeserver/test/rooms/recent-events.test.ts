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
