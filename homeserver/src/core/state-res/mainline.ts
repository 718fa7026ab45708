import type { EventCache } from './store.js';

/** The `m.room.power_levels` event among an event's auth events, if any. */
function powerLevelsAuthEvent(cache: EventCache, id: string): string | undefined {
  for (const a of cache.get(id)?.auth_events ?? []) {
    const e = cache.get(a);
    if (e !== undefined && e.type === 'm.room.power_levels' && e.state_key === '') return a;
  }
  return undefined;
}

/**
 * Loads what the mainline walks will read: starting from `ids`, each event's auth events, then
 * the same again for the power-levels events found there, one batched fetch per level.
 */
async function loadPowerLevelsChains(cache: EventCache, ids: Iterable<string>): Promise<void> {
  const visited = new Set<string>();
  let frontier = [...ids];
  await cache.load(frontier);
  while (frontier.length > 0) {
    for (const id of frontier) visited.add(id);
    await cache.load(frontier.flatMap((id) => cache.get(id)?.auth_events ?? []));
    const next = new Set<string>();
    for (const id of frontier) {
      const pl = powerLevelsAuthEvent(cache, id);
      if (pl !== undefined && !visited.has(pl)) next.add(pl);
    }
    frontier = [...next];
  }
}

/**
 * Mainline ordering based on the power-levels event `powerLevelsId` (undefined when the partially
 * resolved state has none, which makes every position ∞). Position 0 is `powerLevelsId` itself;
 * events whose power-levels ancestry never meets the mainline get ∞ and sort first, being "based
 * on an earlier event" than anything that does.
 */
export async function mainlineSort(
  cache: EventCache,
  ids: readonly string[],
  powerLevelsId: string | undefined,
): Promise<string[]> {
  if (ids.length === 0) return [];
  const start = powerLevelsId === undefined ? ids : [powerLevelsId, ...ids];
  await loadPowerLevelsChains(cache, start);

  // Power-levels event → mainline position; seeded with the mainline, then memoising every
  // power-levels event met on the way so that each chain is walked once for all events citing it.
  const position = new Map<string, number>();
  for (let p = powerLevelsId, i = 0; p !== undefined && !position.has(p); p = powerLevelsAuthEvent(cache, p), i++) {
    position.set(p, i);
  }
  const positionOf = (pl: string | undefined): number => {
    const path: string[] = [];
    const onPath = new Set<string>();
    let found = Infinity;
    for (let p = pl; p !== undefined; p = powerLevelsAuthEvent(cache, p)) {
      const known = position.get(p);
      if (known !== undefined) {
        found = known;
        break;
      }
      if (onPath.has(p)) break; // only malformed data loops; give up on it as ∞
      onPath.add(p);
      path.push(p);
    }
    for (const p of path) position.set(p, found);
    return found;
  };

  const keyed = ids.map((id) => ({
    id,
    // e₀ itself is not part of its own list: start from its power-levels auth event.
    position: positionOf(powerLevelsAuthEvent(cache, id)),
    ts: cache.get(id)?.origin_server_ts ?? 0,
  }));
  keyed.sort((a, b) => {
    if (a.position !== b.position) return a.position > b.position ? -1 : 1;
    if (a.ts !== b.ts) return a.ts - b.ts;
    return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  });
  return keyed.map((k) => k.id);
}
