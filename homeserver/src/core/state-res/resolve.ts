import { stateKey, type StateMap } from '../events.js';
import type { RoomVersion } from '../room-versions.js';
import { authChainDifference } from './auth-chain.js';
import { conflictedStateSubgraph } from './conflicted-subgraph.js';
import { iterativeAuthChecks } from './iterative-auth.js';
import { mainlineSort } from './mainline.js';
import { isPowerEvent } from './power-events.js';
import { buildPowerGraph, reverseTopologicalPowerSort } from './power-ordering.js';
import { impliedCreateEventId } from './room-create.js';
import { senderPowerLevel } from './sender-power.js';
import { conflictedEventIds, splitConflicted } from './split.js';
import { EventCache, type StateResStore } from './store.js';

export interface ResolveOptions {
  /** Most IDs asked of the store in one `getEvents` call. */
  fetchBatchSize?: number;
  /** Events authorised between two yields to the event loop during iterative auth checks. */
  authChunkSize?: number;
}

/**
 * State resolution v2 (room versions 2–11) and v2.1 (room version 12): the state of the room
 * given the states of several forks of its DAG. Deterministic: the result depends only on the
 * input states and the events the store returns.
 *
 * Events the store does not have are left out of the conflicted side (nothing can be checked about
 * them); unconflicted entries are kept as given, since every input already agrees on them.
 */
export async function resolveState(
  rv: RoomVersion,
  stateSets: readonly StateMap[],
  store: StateResStore,
  options: ResolveOptions = {},
): Promise<StateMap> {
  if (rv.stateRes !== 'v2' && rv.stateRes !== 'v2.1') {
    // Room versions 1 and 2 use state resolution v1; this server hosts none of them.
    throw new Error(`room version ${rv.id} uses state resolution ${rv.stateRes}, which this server does not run`);
  }
  const v21 = rv.stateRes === 'v2.1';

  const { unconflicted, conflicted } = splitConflicted(stateSets);
  if (conflicted.size === 0) return unconflicted;

  const cache = new EventCache(store, options.fetchBatchSize);
  const conflictedIds = conflictedEventIds(conflicted);

  // Full conflicted set: the conflicted events, the auth difference and (v2.1) the conflicted
  // state subgraph, which brings in events between two conflicted ones that every fork's auth
  // chain shares and the auth difference therefore misses (MSC4297 "problem B").
  const full = new Set(conflictedIds);
  for (const id of await authChainDifference(cache, stateSets.map((s) => [...s.values()]))) full.add(id);
  if (v21) for (const id of await conflictedStateSubgraph(cache, conflictedIds)) full.add(id);
  await cache.load(full);
  for (const id of full) {
    if (typeof cache.get(id)?.state_key !== 'string') full.delete(id);
  }

  // Step 1: power events and their conflicted auth ancestry, in reverse topological power order.
  const powerEvents: string[] = [];
  for (const id of full) {
    const event = cache.get(id);
    if (event !== undefined && isPowerEvent(event)) powerEvents.push(id);
  }
  const graph = buildPowerGraph(cache, powerEvents, full);
  // The sender's power level is read from each event's own auth events.
  await cache.load(
    [...graph.keys()].flatMap((id) => {
      const event = cache.get(id);
      const implied = event === undefined ? undefined : impliedCreateEventId(event, rv);
      return [...(event?.auth_events ?? []), ...(implied === undefined ? [] : [implied])];
    }),
  );
  const sortedPower = reverseTopologicalPowerSort(graph, (id) => ({
    powerLevel: senderPowerLevel(cache, rv, id),
    originServerTs: cache.get(id)?.origin_server_ts ?? 0,
  }));

  // Step 2. v2.1 starts from nothing: the unconflicted state can postdate the conflicted power
  // events, and checking them against it can reject events that were valid when sent (MSC4297
  // "problem A": an admin's later leave, agreed by both forks, voided her own earlier join rules
  // change and left the room with none). The unconflicted state still wins in step 5.
  const authOptions = options.authChunkSize === undefined ? {} : { chunkSize: options.authChunkSize };
  const partial = await iterativeAuthChecks(cache, rv, sortedPower, v21 ? new Map() : unconflicted, authOptions);

  // Steps 3 and 4: everything else, in mainline order of the partially resolved power levels.
  const remaining = [...full].filter((id) => !graph.has(id));
  const sortedRemaining = await mainlineSort(cache, remaining, partial.get(stateKey('m.room.power_levels', '')));
  const resolved = await iterativeAuthChecks(cache, rv, sortedRemaining, partial, authOptions);

  // Step 5.
  for (const [key, id] of unconflicted) resolved.set(key, id);
  return resolved;
}
