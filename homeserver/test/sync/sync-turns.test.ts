import test from 'ava';
import type { SyncDeps, SyncRequest } from '../../src/components/sync/deps.js';
import { Notifier } from '../../src/components/sync/notifier.js';
import { syncOnce } from '../../src/components/sync/service.js';
import { ZERO, type SyncPositions } from '../../src/components/sync/token.js';
import { Gate } from '../../src/util/gate.js';

/**
 * What syncOnce reads for a user in no room, with the events stream at `events`: enough to see
 * when a sync runs, not what it answers (the sync tests cover that against a real server).
 */
function depsFor(woken: Gate, events: number): SyncDeps {
  const zero = { current: () => 0 };
  return {
    rooms: {
      currentStreamPosition: () => events,
      sync: { memberships: async () => [], roomsWithEvents: async () => new Set<string>() },
    },
    users: { accountDataPosition: async () => 0, accountDataSince: async () => [], getFilter: async () => undefined },
    receipts: { stream: zero, forRooms: async () => new Map() },
    presence: { stream: zero, enabled: false, touch: async () => undefined },
    typing: { current: () => 0 },
    notifier: new Notifier(),
    extensions: [],
    pushRules: { forUser: async () => ({}) },
    woken,
  } as unknown as SyncDeps;
}

const request = (since: SyncPositions | undefined, fullState = false): SyncRequest => ({ userId: '@a:hs.test', deviceId: 'D', since, fullState, useStateAfter: false });

/** Lets the event loop go round a few times, as a sync that does not wait would finish in. */
async function turns(n = 5): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** A gate of one place, held until the returned function is called. */
function heldGate(): { woken: Gate; release: () => void } {
  const woken = new Gate(1);
  let release!: () => void;
  void woken.run(() => new Promise<void>((resolve) => (release = resolve)));
  return { woken, release: () => release() };
}

test('an incremental sync that finds news at once waits its turn behind the woken syncs', async (t) => {
  const { woken, release } = heldGate();
  let answered = false;
  // Positions moved (3 → 7), so it computes at once instead of waiting; finding nothing for the
  // user, it then waits out its short timeout.
  const sync = syncOnce(depsFor(woken, 7), request({ ...ZERO, events: 3 }), {}, 50).then((body) => {
    answered = true;
    return body;
  });
  await turns();
  t.false(answered, 'answered while a woken sync held the only place');
  t.is(woken.queued, 1);
  release();
  const body = await sync;
  t.true(answered);
  t.regex(String(body.next_batch), /^s7_/);
});

test('an incremental sync with a zero timeout also takes its turn', async (t) => {
  const { woken, release } = heldGate();
  let answered = false;
  const sync = syncOnce(depsFor(woken, 7), request({ ...ZERO, events: 7 }), {}, 0).then(() => (answered = true));
  await turns();
  t.false(answered);
  release();
  await sync;
  t.true(answered);
});

test('first and full-state syncs do not queue behind woken syncs', async (t) => {
  const { woken, release } = heldGate();
  const first = await syncOnce(depsFor(woken, 7), request(undefined), {}, 0);
  t.regex(String(first.next_batch), /^s7_/);
  const full = await syncOnce(depsFor(woken, 7), request({ ...ZERO, events: 3 }, true), {}, 0);
  t.regex(String(full.next_batch), /^s7_/);
  t.is(woken.queued, 0);
  release();
});

test('with no woken syncs running, an incremental sync runs at once', async (t) => {
  const woken = new Gate(2, 2);
  let answered = false;
  const sync = syncOnce(depsFor(woken, 7), request({ ...ZERO, events: 3 }), {}, 0).then(() => (answered = true));
  await turns();
  t.true(answered);
  await sync;
});
