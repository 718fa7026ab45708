import test from 'ava';
import { stateKey, type StateMap } from '../../../src/core/events.js';
import { mainlineSort } from '../../../src/core/state-res/mainline.js';
import { isPowerEvent } from '../../../src/core/state-res/power-events.js';
import {
  buildPowerGraph,
  reverseTopologicalPowerSort,
  type PowerSortKey,
} from '../../../src/core/state-res/power-ordering.js';
import { splitConflicted } from '../../../src/core/state-res/split.js';
import { EventCache, memoryStore } from '../../../src/core/state-res/store.js';
import { ev } from './graph-helpers.js';

function keys(table: Record<string, [power: number, ts: number]>): (id: string) => PowerSortKey {
  return (id) => {
    const entry = table[id];
    if (entry === undefined) throw new Error(`no key for ${id}`);
    return { powerLevel: entry[0], originServerTs: entry[1] };
  };
}

test('power sort: higher sender power level goes first among ready events', (t) => {
  const graph = new Map([
    ['$a', []],
    ['$b', []],
    ['$c', []],
  ]);
  const order = reverseTopologicalPowerSort(graph, keys({ $a: [0, 1], $b: [100, 3], $c: [50, 2] }));
  t.deepEqual(order, ['$b', '$c', '$a']);
});

test('power sort: equal power breaks ties by origin_server_ts, then by event ID', (t) => {
  const graph = new Map([
    ['$z', []],
    ['$y', []],
    ['$x', []],
    ['$w', []],
  ]);
  const order = reverseTopologicalPowerSort(graph, keys({ $z: [50, 1], $y: [50, 2], $x: [50, 2], $w: [50, 3] }));
  t.deepEqual(order, ['$z', '$x', '$y', '$w']);
});

test('power sort: auth events come first whatever their power or timestamp', (t) => {
  // $late cites $root; $high has higher power than $root and an earlier timestamp than both.
  const graph = new Map([
    ['$root', []],
    ['$late', ['$root']],
    ['$high', ['$late']],
    ['$free', []],
  ]);
  const order = reverseTopologicalPowerSort(
    graph,
    keys({ $root: [0, 10], $late: [0, 20], $high: [100, 0], $free: [10, 30] }),
  );
  // $free (power 10) beats $root (power 0); $high only becomes ready after $late.
  t.deepEqual(order, ['$free', '$root', '$late', '$high']);
});

test('power sort: a diamond is emitted once per event, and ready events are re-ranked each step', (t) => {
  const graph = new Map([
    ['$create', []],
    ['$l', ['$create']],
    ['$r', ['$create']],
    ['$top', ['$l', '$r', '$outside']], // $outside is not in the graph and is ignored
  ]);
  const order = reverseTopologicalPowerSort(graph, keys({ $create: [0, 0], $l: [50, 5], $r: [100, 9], $top: [100, 1] }));
  t.deepEqual(order, ['$create', '$r', '$l', '$top']);
});

test('power graph: walks auth events only inside the full conflicted set', async (t) => {
  const cache = new EventCache(
    memoryStore([
      ev('$create', { type: 'm.room.create' }),
      ev('$pl1', { type: 'm.room.power_levels', auth: ['$create'] }),
      ev('$member', { type: 'm.room.member', state_key: '@bob:x', content: { membership: 'join' }, auth: ['$pl1'] }),
      ev('$pl2', { type: 'm.room.power_levels', auth: ['$pl1', '$member'] }),
    ]),
  );
  await cache.load(['$create', '$pl1', '$member', '$pl2']);
  const graph = buildPowerGraph(cache, ['$pl2'], new Set(['$pl2', '$pl1', '$create']));
  t.deepEqual([...graph.keys()].sort(), ['$create', '$pl1', '$pl2']);
  t.deepEqual(graph.get('$pl2'), ['$pl1']);
});

test('mainline sort: position, then timestamp, then event ID', async (t) => {
  const events = [
    ev('$create', { type: 'm.room.create', ts: 0 }),
    ev('$p0', { type: 'm.room.power_levels', auth: ['$create'], ts: 1 }),
    ev('$p1', { type: 'm.room.power_levels', auth: ['$create', '$p0'], ts: 2 }),
    ev('$p2', { type: 'm.room.power_levels', auth: ['$create', '$p1'], ts: 3 }),
    // A power levels event off the mainline, built on $p1.
    ev('$side', { type: 'm.room.power_levels', auth: ['$create', '$p1'], ts: 4 }),
    ev('$on-p2', { auth: ['$create', '$p2'], ts: 5 }),
    ev('$on-p1-late', { auth: ['$create', '$p1'], ts: 9 }),
    ev('$on-p1-b', { auth: ['$create', '$p1'], ts: 6 }),
    ev('$on-p1-a', { auth: ['$create', '$p1'], ts: 6 }),
    ev('$on-side', { auth: ['$side', '$create'], ts: 7 }),
    ev('$on-p0', { auth: ['$p0'], ts: 100 }),
    ev('$no-pl', { auth: ['$create'], ts: 200 }),
  ];
  const cache = new EventCache(memoryStore(events));
  const toSort = ['$on-p2', '$on-p1-late', '$on-p1-b', '$on-p1-a', '$on-side', '$on-p0', '$no-pl'];
  const order = await mainlineSort(cache, toSort, '$p2');
  t.deepEqual(order, [
    '$no-pl', // ∞: no power levels in its auth chain, comes first despite the latest timestamp
    '$on-p0', // position 2
    '$on-p1-a', // position 1, ts 6, smaller ID
    '$on-p1-b', // position 1, ts 6
    '$on-side', // position 1 through $side, ts 7
    '$on-p1-late', // position 1, ts 9
    '$on-p2', // position 0
  ]);
});

test('mainline sort: a power levels event is placed by the power levels it cites, not by itself', async (t) => {
  const events = [
    ev('$p0', { type: 'm.room.power_levels', ts: 1 }),
    ev('$p1', { type: 'm.room.power_levels', auth: ['$p0'], ts: 2 }),
    ev('$x', { auth: ['$p1'], ts: 3 }),
  ];
  const cache = new EventCache(memoryStore(events));
  // $p1 sits at mainline position 0 but is ordered by its parent $p0 (position 1), before $x.
  t.deepEqual(await mainlineSort(cache, ['$x', '$p1'], '$p1'), ['$p1', '$x']);
  // Without a power levels event every position is ∞ and only timestamps count.
  t.deepEqual(await mainlineSort(cache, ['$x', '$p1'], undefined), ['$p1', '$x']);
});

test('split: agreement in every state is unconflicted; absence from one state conflicts', (t) => {
  const a: StateMap = new Map([
    [stateKey('m.room.create', ''), '$create'],
    [stateKey('m.room.topic', ''), '$t1'],
    [stateKey('m.room.name', ''), '$n'],
  ]);
  const b: StateMap = new Map([
    [stateKey('m.room.create', ''), '$create'],
    [stateKey('m.room.topic', ''), '$t2'],
  ]);
  const { unconflicted, conflicted } = splitConflicted([a, b]);
  t.deepEqual([...unconflicted], [[stateKey('m.room.create', ''), '$create']]);
  t.deepEqual([...(conflicted.get(stateKey('m.room.topic', '')) ?? [])].sort(), ['$t1', '$t2']);
  t.deepEqual([...(conflicted.get(stateKey('m.room.name', '')) ?? [])], ['$n']);
});

test('power events: power levels, join rules, create, kicks and bans; not self-leaves', (t) => {
  const member = (sender: string, target: string, membership: string) =>
    ev('$m', { type: 'm.room.member', sender, state_key: target, content: { membership } });
  t.true(isPowerEvent(ev('$p', { type: 'm.room.power_levels' })));
  t.true(isPowerEvent(ev('$j', { type: 'm.room.join_rules' })));
  t.true(isPowerEvent(ev('$c', { type: 'm.room.create' })));
  t.false(isPowerEvent(ev('$p', { type: 'm.room.power_levels', state_key: 'x' })));
  t.true(isPowerEvent(member('@a:x', '@b:x', 'leave')));
  t.true(isPowerEvent(member('@a:x', '@b:x', 'ban')));
  t.false(isPowerEvent(member('@b:x', '@b:x', 'leave')));
  t.false(isPowerEvent(member('@a:x', '@b:x', 'invite')));
  t.false(isPowerEvent(ev('$t', { type: 'm.room.topic' })));
});
