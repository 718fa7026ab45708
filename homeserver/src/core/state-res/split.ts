import type { StateKey, StateMap } from '../events.js';

export interface SplitState {
  /** Keys present in every input state with the same event. */
  unconflicted: StateMap;
  /** Every other key, with each distinct event any input state has for it. */
  conflicted: Map<StateKey, Set<string>>;
}

/**
 * The spec's unconflicted state map and conflicted state set. A key missing from some input state
 * is conflicted even if all the states that have it agree: "present in every Sᵢ" is part of the
 * definition, and dropping it would let one fork's state silently override the other's absence.
 */
export function splitConflicted(stateSets: readonly StateMap[]): SplitState {
  const seen = new Map<StateKey, { ids: Set<string>; count: number }>();
  for (const state of stateSets) {
    for (const [key, id] of state) {
      const entry = seen.get(key);
      if (entry === undefined) seen.set(key, { ids: new Set([id]), count: 1 });
      else {
        entry.ids.add(id);
        entry.count += 1;
      }
    }
  }
  const unconflicted: StateMap = new Map();
  const conflicted = new Map<StateKey, Set<string>>();
  for (const [key, { ids, count }] of seen) {
    if (ids.size === 1 && count === stateSets.length) {
      for (const id of ids) unconflicted.set(key, id);
    } else {
      conflicted.set(key, ids);
    }
  }
  return { unconflicted, conflicted };
}

/** Every event ID of the conflicted state set, each once. */
export function conflictedEventIds(conflicted: Map<StateKey, Set<string>>): Set<string> {
  const out = new Set<string>();
  for (const ids of conflicted.values()) for (const id of ids) out.add(id);
  return out;
}
