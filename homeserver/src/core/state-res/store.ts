import type { RoomEvent } from '../events.js';

/**
 * An event as state resolution sees it. `rejected` marks events that failed the auth rules when
 * they were received: they may still be resolved (the spec handles events rejected against the
 * state at the event "as usual"), but are never used as auth events of another event.
 */
export type StateResEvent = RoomEvent & { rejected?: boolean };

/**
 * Where the resolver gets events. Every method takes many IDs at once so that a database-backed
 * implementation answers a whole resolution with a handful of queries rather than one per event.
 */
export interface StateResStore {
  /** The events with these IDs; IDs the store does not know are left out of the result. */
  getEvents(ids: readonly string[]): Promise<Map<string, StateResEvent>>;
  /**
   * Optional fast path for the auth difference: ∪Cᵢ − ∩Cᵢ, where Cᵢ is the union of the auth
   * chains (transitive `auth_events`, the events themselves excluded) of the events in
   * `stateSets[i]`. A server with an auth-chain index can answer this without loading whole
   * chains; without it the resolver walks `auth_events` itself.
   */
  getAuthChainDifference?(stateSets: ReadonlyArray<readonly string[]>): Promise<Set<string>>;
}

/** A store over events already in memory; for tests and for callers that hold the events. */
export function memoryStore(events: Iterable<StateResEvent>): StateResStore {
  const byId = new Map<string, StateResEvent>();
  for (const e of events) byId.set(e.event_id, e);
  return {
    getEvents(ids) {
      const out = new Map<string, StateResEvent>();
      for (const id of ids) {
        const e = byId.get(id);
        if (e !== undefined) out.set(id, e);
      }
      return Promise.resolve(out);
    },
  };
}

/**
 * Per-resolution memo in front of a store. Lookups are synchronous once `load` has brought the
 * events in, which keeps the graph algorithms free of `await` in their inner loops, and every ID is
 * asked of the store at most once per resolution (misses included).
 */
export class EventCache {
  private readonly events = new Map<string, StateResEvent>();
  private readonly missing = new Set<string>();

  constructor(
    private readonly store: StateResStore,
    private readonly batchSize = 500,
  ) {}

  get storeBackend(): StateResStore {
    return this.store;
  }

  async load(ids: Iterable<string>): Promise<void> {
    const wanted: string[] = [];
    const queued = new Set<string>();
    for (const id of ids) {
      if (this.events.has(id) || this.missing.has(id) || queued.has(id)) continue;
      queued.add(id);
      wanted.push(id);
    }
    for (let i = 0; i < wanted.length; i += this.batchSize) {
      const batch = wanted.slice(i, i + this.batchSize);
      const got = await this.store.getEvents(batch);
      for (const id of batch) {
        const e = got.get(id);
        if (e === undefined) this.missing.add(id);
        else this.events.set(id, e);
      }
    }
  }

  get(id: string): StateResEvent | undefined {
    return this.events.get(id);
  }

  /** Seed the cache with events the caller already holds, so they are not fetched again. */
  add(event: StateResEvent): void {
    this.events.set(event.event_id, event);
    this.missing.delete(event.event_id);
  }
}

/**
 * Let other work run during a long resolution. setImmediate (Node) runs after pending I/O
 * callbacks, unlike a resolved promise, which would starve them; setTimeout is the portable
 * fallback.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => {
    if (typeof setImmediate === 'function') setImmediate(resolve);
    else setTimeout(resolve, 0);
  });
}
