import { MinHeap } from './heap.js';
import type { EventCache } from './store.js';

export interface PowerSortKey {
  /** Power level of the sender according to the event's own auth events. */
  powerLevel: number;
  originServerTs: number;
}

/** The spec's order on ready vertices: higher sender power first, then older, then smaller ID. */
export function powerOrderLess(a: PowerSortKey & { id: string }, b: PowerSortKey & { id: string }): boolean {
  if (a.powerLevel !== b.powerLevel) return a.powerLevel > b.powerLevel;
  if (a.originServerTs !== b.originServerTs) return a.originServerTs < b.originServerTs;
  return a.id < b.id;
}

/**
 * Reverse topological power ordering: Kahn's algorithm over the auth DAG, earliest event first,
 * always taking the smallest ready event by `powerOrderLess`. `graph` maps every event to be sorted
 * to its auth events; auth events outside the graph are ignored, and an event is ready once all
 * its auth events inside the graph have been emitted.
 */
export function reverseTopologicalPowerSort(
  graph: ReadonlyMap<string, Iterable<string>>,
  keyOf: (id: string) => PowerSortKey,
): string[] {
  const pending = new Map<string, number>();
  const citedBy = new Map<string, string[]>();
  for (const [id, authIds] of graph) {
    let count = 0;
    for (const a of new Set(authIds)) {
      if (!graph.has(a) || a === id) continue;
      count += 1;
      const list = citedBy.get(a);
      if (list === undefined) citedBy.set(a, [id]);
      else list.push(id);
    }
    pending.set(id, count);
  }

  type Item = PowerSortKey & { id: string };
  const heap = new MinHeap<Item>(powerOrderLess);
  const enqueue = (id: string) => heap.push({ id, ...keyOf(id) });
  for (const [id, count] of pending) if (count === 0) enqueue(id);

  const sorted: string[] = [];
  for (let item = heap.pop(); item !== undefined; item = heap.pop()) {
    sorted.push(item.id);
    for (const parent of citedBy.get(item.id) ?? []) {
      const left = (pending.get(parent) as number) - 1;
      pending.set(parent, left);
      if (left === 0) enqueue(parent);
    }
  }
  return sorted;
}

/**
 * Step 1's set X as a graph: the given power events plus the events of their auth chains that are
 * in the full conflicted set, each with its auth events inside that set.
 *
 * The walk only passes through events of the full conflicted set. The spec's wording ("the events
 * in the auth chain of P which also belong to the full conflicted set") would also pick up
 * conflicted events reachable only through an unconflicted one; Synapse, ruma and their
 * descendants all stop at the first event outside the set, and matching them is what keeps
 * servers agreeing on the resolved state.
 */
export function buildPowerGraph(
  cache: EventCache,
  powerEvents: Iterable<string>,
  fullConflictedSet: ReadonlySet<string>,
): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const stack = [...powerEvents];
  for (let id = stack.pop(); id !== undefined; id = stack.pop()) {
    if (graph.has(id)) continue;
    const edges: string[] = [];
    graph.set(id, edges);
    for (const a of cache.get(id)?.auth_events ?? []) {
      if (!fullConflictedSet.has(a)) continue;
      edges.push(a);
      if (!graph.has(a)) stack.push(a);
    }
  }
  return graph;
}
