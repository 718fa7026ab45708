import type { EventCache } from './store.js';

/**
 * Loads every event reachable through `auth_events` from `start` (the start events included) and
 * returns the IDs of those the store has. Breadth-first, so each layer of the auth DAG costs one
 * batched fetch however wide it is.
 */
export async function loadAuthClosure(cache: EventCache, start: Iterable<string>): Promise<Set<string>> {
  const reached = new Set<string>();
  let frontier = [...new Set(start)];
  while (frontier.length > 0) {
    await cache.load(frontier);
    const next: string[] = [];
    for (const id of frontier) {
      if (reached.has(id)) continue;
      const event = cache.get(id);
      if (event === undefined) continue;
      reached.add(id);
      for (const a of event.auth_events) if (!reached.has(a)) next.push(a);
    }
    frontier = [...new Set(next)];
  }
  return reached;
}

/**
 * The auth difference ∪Cᵢ − ∩Cᵢ, where Cᵢ is the union of the auth chains of the events of
 * `stateSets[i]` (an event is not part of its own auth chain).
 *
 * Rather than materialising one chain per state set (k passes over what is mostly the same
 * history), it makes one pass over the union of the chains: each event carries a bitset of the
 * state sets whose chains contain it, pushed from events to their auth events in topological order
 * so that every event's set is complete before it is passed on.
 */
export async function authChainDifference(
  cache: EventCache,
  stateSets: ReadonlyArray<readonly string[]>,
): Promise<Set<string>> {
  const k = stateSets.length;
  if (k < 2) return new Set();
  const fast = cache.storeBackend.getAuthChainDifference;
  if (fast !== undefined) return fast.call(cache.storeBackend, stateSets);

  const all = new Set<string>();
  for (const set of stateSets) for (const id of set) all.add(id);
  const nodes = [...(await loadAuthClosure(cache, all))];
  const index = new Map<string, number>();
  nodes.forEach((id, i) => index.set(id, i));

  const n = nodes.length;
  const words = Math.ceil(k / 32);
  const seed = new Uint32Array(n * words);
  const mask = new Uint32Array(n * words);
  stateSets.forEach((set, i) => {
    const word = i >>> 5;
    const bit = (1 << (i & 31)) >>> 0;
    for (const id of set) {
      const at = index.get(id);
      if (at !== undefined) seed[at * words + word] = (seed[at * words + word] as number) | bit;
    }
  });

  const auth: number[][] = new Array<number[]>(n);
  const pending = new Int32Array(n); // events citing this one that are not yet processed
  for (let i = 0; i < n; i++) {
    const list: number[] = [];
    for (const a of new Set(cache.get(nodes[i] as string)?.auth_events ?? [])) {
      const j = index.get(a);
      if (j !== undefined) {
        list.push(j);
        pending[j] = (pending[j] as number) + 1;
      }
    }
    auth[i] = list;
  }

  const ready: number[] = [];
  for (let i = 0; i < n; i++) if (pending[i] === 0) ready.push(i);
  const done = new Uint8Array(n);
  const push = (i: number) => {
    if (done[i]) return;
    done[i] = 1;
    for (const j of auth[i] as number[]) {
      for (let w = 0; w < words; w++) {
        const from = i * words + w;
        mask[j * words + w] = (mask[j * words + w] as number) | (mask[from] as number) | (seed[from] as number);
      }
      pending[j] = (pending[j] as number) - 1;
      if (pending[j] === 0) ready.push(j);
    }
  };
  while (ready.length > 0) push(ready.pop() as number);
  // Hash-derived event IDs cannot form an auth cycle; if broken data does, finish the leftovers
  // anyway rather than dropping them, accepting that their bitsets may be incomplete.
  for (let i = 0; i < n; i++) {
    if (!done[i]) {
      push(i);
      while (ready.length > 0) push(ready.pop() as number);
    }
  }

  const lastBits = k % 32 === 0 ? 0xffffffff : ((1 << (k % 32)) >>> 0) - 1;
  const difference = new Set<string>();
  for (let i = 0; i < n; i++) {
    let any = false;
    let full = true;
    for (let w = 0; w < words; w++) {
      const m = mask[i * words + w] as number;
      if (m !== 0) any = true;
      if (m >>> 0 !== (w === words - 1 ? lastBits : 0xffffffff) >>> 0) full = false;
    }
    if (any && !full) difference.add(nodes[i] as string);
  }
  return difference;
}
