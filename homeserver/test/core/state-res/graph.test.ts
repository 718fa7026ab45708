import test from 'ava';
import { authChainDifference, loadAuthClosure } from '../../../src/core/state-res/auth-chain.js';
import { conflictedStateSubgraph } from '../../../src/core/state-res/conflicted-subgraph.js';
import { EventCache, memoryStore, type StateResStore } from '../../../src/core/state-res/store.js';
import { ev } from './graph-helpers.js';

/**
 *           $create
 *          /   |    \
 *      $pl1  $jr    $other
 *        |     \
 *      $pl2    $m1
 *        |       \
 *      $top      $m2
 */
const dag = [
  ev('$create', { type: 'm.room.create' }),
  ev('$pl1', { type: 'm.room.power_levels', auth: ['$create'] }),
  ev('$pl2', { type: 'm.room.power_levels', auth: ['$create', '$pl1'] }),
  ev('$top', { auth: ['$create', '$pl2'] }),
  ev('$jr', { type: 'm.room.join_rules', auth: ['$create'] }),
  ev('$m1', { type: 'm.room.member', state_key: '@a:x', auth: ['$create', '$jr'] }),
  ev('$m2', { type: 'm.room.member', state_key: '@a:x', auth: ['$create', '$jr', '$m1'] }),
  ev('$other', { type: 'm.room.name', auth: ['$create'] }),
];

/** Counts store calls, so tests can check that fetching is batched. */
function countingStore(): StateResStore & { calls: string[][] } {
  const inner = memoryStore(dag);
  const calls: string[][] = [];
  return {
    calls,
    getEvents(ids) {
      calls.push([...ids]);
      return inner.getEvents(ids);
    },
  };
}

test('auth closure: one store call per layer of the auth DAG', async (t) => {
  const store = countingStore();
  const closure = await loadAuthClosure(new EventCache(store), ['$top', '$m2']);
  t.deepEqual([...closure].sort(), ['$create', '$jr', '$m1', '$m2', '$pl1', '$pl2', '$top']);
  t.true(store.calls.length <= 4);
  t.is(new Set(store.calls.flat()).size, store.calls.flat().length, 'no event asked for twice');
});

test('auth difference: events in some but not all state auth chains', async (t) => {
  const cache = new EventCache(memoryStore(dag));
  // Chains: {$top} → {$create,$pl1,$pl2}; {$m2,$other} → {$create,$jr,$m1}.
  const diff = await authChainDifference(cache, [['$top'], ['$m2', '$other']]);
  t.deepEqual([...diff].sort(), ['$jr', '$m1', '$pl1', '$pl2']);
  // A state event is not in its own auth chain: $pl2 is in the difference although set 1 holds it.
  const diff2 = await authChainDifference(cache, [['$pl2', '$top'], ['$pl1']]);
  t.deepEqual([...diff2].sort(), ['$pl1', '$pl2']);
  t.deepEqual([...(await authChainDifference(cache, [['$top']]))], []);
});

test('auth difference: more than 32 state sets', async (t) => {
  const many = Array.from({ length: 40 }, (_, i) => (i === 39 ? ['$m2'] : ['$top']));
  const diff = await authChainDifference(new EventCache(memoryStore(dag)), many);
  t.deepEqual([...diff].sort(), ['$jr', '$m1', '$pl1', '$pl2']);
});

test('auth difference: the store fast path is used when offered', async (t) => {
  const store: StateResStore = {
    ...memoryStore(dag),
    getAuthChainDifference: () => Promise.resolve(new Set(['$sentinel'])),
  };
  t.deepEqual([...(await authChainDifference(new EventCache(store), [['$top'], ['$m2']]))], ['$sentinel']);
});

test('conflicted subgraph: events on auth paths between conflicted events, endpoints included', async (t) => {
  const cache = new EventCache(memoryStore(dag));
  // $top reaches $pl1 through $pl2; $create is below both but leads to no conflicted event.
  const sub = await conflictedStateSubgraph(cache, new Set(['$top', '$pl1']));
  t.deepEqual([...sub].sort(), ['$pl1', '$pl2', '$top']);
});

test('conflicted subgraph: unrelated conflicted events contribute nothing', async (t) => {
  const cache = new EventCache(memoryStore(dag));
  t.deepEqual([...(await conflictedStateSubgraph(cache, new Set(['$top', '$m2'])))], []);
  // $create is conflicted here, so every path down to it counts.
  const sub = await conflictedStateSubgraph(cache, new Set(['$top', '$m2', '$create']));
  t.deepEqual([...sub].sort(), ['$create', '$jr', '$m1', '$m2', '$pl1', '$pl2', '$top']);
});

test('conflicted subgraph: a path through several conflicted events includes every hop', async (t) => {
  const cache = new EventCache(memoryStore(dag));
  const sub = await conflictedStateSubgraph(cache, new Set(['$m2', '$jr', '$other']));
  t.deepEqual([...sub].sort(), ['$jr', '$m1', '$m2']);
});
