import { loadAuthClosure } from './auth-chain.js';
import type { EventCache } from './store.js';

/**
 * The conflicted state subgraph of state resolution v2.1 (room version 12, MSC4297): every event
 * on an `auth_events` path from one conflicted event to another, endpoints included.
 *
 * An event lies on such a path exactly when some conflicted event reaches it (through at least one
 * edge, or it is itself the upper endpoint) and it reaches some conflicted event. "Reached from"
 * is the auth closure of the conflicted set; "reaches" is computed once per event, auth events
 * first, so the whole thing is linear in the size of that closure instead of one search per pair.
 */
export async function conflictedStateSubgraph(
  cache: EventCache,
  conflicted: ReadonlySet<string>,
): Promise<Set<string>> {
  const closure = [...(await loadAuthClosure(cache, conflicted))];
  const index = new Map<string, number>();
  closure.forEach((id, i) => index.set(id, i));
  const n = closure.length;

  const auth: number[][] = new Array<number[]>(n);
  const citedBy: number[][] = Array.from({ length: n }, () => []);
  const pending = new Int32Array(n);
  const belowConflicted = new Uint8Array(n); // reached from a conflicted event through ≥ 1 edge
  for (let i = 0; i < n; i++) {
    const list: number[] = [];
    for (const a of new Set(cache.get(closure[i] as string)?.auth_events ?? [])) {
      const j = index.get(a);
      if (j === undefined) continue;
      list.push(j);
      (citedBy[j] as number[]).push(i);
      belowConflicted[j] = 1;
    }
    auth[i] = list;
    pending[i] = list.length;
  }

  // reaches[i]: event i is conflicted or some conflicted event is in its auth chain.
  const reaches = new Uint8Array(n);
  const pathBelow = new Uint8Array(n);
  const done = new Uint8Array(n);
  const ready: number[] = [];
  for (let i = 0; i < n; i++) if (pending[i] === 0) ready.push(i);
  const visit = (i: number) => {
    if (done[i]) return;
    done[i] = 1;
    for (const j of auth[i] as number[]) if (reaches[j]) pathBelow[i] = 1;
    reaches[i] = pathBelow[i] || conflicted.has(closure[i] as string) ? 1 : 0;
    for (const p of citedBy[i] as number[]) {
      pending[p] = (pending[p] as number) - 1;
      if (pending[p] === 0) ready.push(p);
    }
  };
  const drain = () => {
    while (ready.length > 0) visit(ready.pop() as number);
  };
  drain();
  // Only malformed data can leave events behind (an auth cycle); visit them regardless.
  for (let i = 0; i < n; i++) {
    if (!done[i]) {
      visit(i);
      drain();
    }
  }

  const subgraph = new Set<string>();
  for (let i = 0; i < n; i++) {
    const id = closure[i] as string;
    if ((belowConflicted[i] && reaches[i]) || (conflicted.has(id) && pathBelow[i])) subgraph.add(id);
  }
  return subgraph;
}
