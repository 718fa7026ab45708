import { authEventSelection, checkEventAuth, type AuthState } from '../auth/index.js';
import { stateKey, type StateKey, type StateMap } from '../events.js';
import type { RoomVersion } from '../room-versions.js';
import { impliedCreateEventId } from './room-create.js';
import { yieldToEventLoop, type EventCache, type StateResEvent } from './store.js';

export interface IterativeAuthOptions {
  /** Events authorised between two batched fetches and two yields to the event loop. */
  chunkSize?: number;
}

function selectedKeys(event: StateResEvent, rv: RoomVersion): Set<StateKey> | undefined {
  try {
    return new Set(authEventSelection(event, rv).map(([type, key]) => stateKey(type, key)));
  } catch {
    // Content too malformed to even say which auth events it needs: it cannot pass either.
    return undefined;
  }
}

/**
 * The spec's iterative auth checks: apply each event, in order, to the state if the auth rules
 * allow it against that state. For each key the rules need, the state's event wins; the event's
 * own auth events fill the keys the state lacks. Rejected events never serve as auth events (they
 * were not re-checked here, so nothing vouches for them).
 *
 * Events are handled in chunks: one batched fetch brings in, for a whole chunk, the auth events
 * and the state events the rules will read. That suffices because anything the state gains within
 * the chunk is a chunk event, already loaded. Between chunks the loop yields so that resolving a
 * large conflicted set does not stall the server.
 */
export async function iterativeAuthChecks(
  cache: EventCache,
  rv: RoomVersion,
  events: readonly string[],
  initial: StateMap,
  options: IterativeAuthOptions = {},
): Promise<StateMap> {
  const chunkSize = Math.max(1, options.chunkSize ?? 200);
  const state: StateMap = new Map(initial);

  for (let start = 0; start < events.length; start += chunkSize) {
    if (start > 0) await yieldToEventLoop();
    const chunk = events.slice(start, start + chunkSize);
    await cache.load(chunk);

    const selections = new Map<string, Set<StateKey> | undefined>();
    const needed: string[] = [];
    for (const id of chunk) {
      const event = cache.get(id);
      if (event === undefined) continue;
      const keys = selectedKeys(event, rv);
      selections.set(id, keys);
      needed.push(...event.auth_events);
      const createId = impliedCreateEventId(event, rv);
      if (createId !== undefined) needed.push(createId);
      for (const key of keys ?? []) {
        const current = state.get(key);
        if (current !== undefined) needed.push(current);
      }
    }
    await cache.load(needed);

    for (const id of chunk) {
      const event = cache.get(id);
      const keys = selections.get(id);
      if (event === undefined || keys === undefined || typeof event.state_key !== 'string') continue;

      const fromAuthEvents = new Map<StateKey, StateResEvent>();
      for (const a of event.auth_events) {
        const authEvent = cache.get(a);
        if (authEvent === undefined || authEvent.rejected || typeof authEvent.state_key !== 'string') continue;
        fromAuthEvents.set(stateKey(authEvent.type, authEvent.state_key), authEvent);
      }
      const createId = impliedCreateEventId(event, rv);
      const impliedCreate = createId === undefined ? undefined : cache.get(createId);

      const authState: AuthState = {
        get(type, key) {
          if (createId !== undefined && type === 'm.room.create' && key === '') return impliedCreate;
          const k = stateKey(type, key);
          if (keys.has(k)) {
            const current = state.get(k);
            const fromState = current === undefined ? undefined : cache.get(current);
            if (fromState !== undefined && !fromState.rejected) return fromState;
          }
          return fromAuthEvents.get(k);
        },
      };

      if (checkEventAuth(event, authState, rv).ok) state.set(stateKey(event.type, event.state_key), id);
    }
  }
  return state;
}
