import type { JsonObject } from '../../core/json.js';
import { computeSync, currentPositions, joinedRoomIds, type SyncResult } from './compute.js';
import type { SyncDeps, SyncRequest } from './deps.js';
import type { SyncFilter } from './filter.js';
import type { Cancellation } from '../../util/cancel.js';
import { formatSyncToken, samePositions, type SyncPositions } from './token.js';

export const MAX_TIMEOUT_MS = 5 * 60_000;

/**
 * One /sync: compute from `since`; if nothing is new, wait for the notifier (up to `timeoutMs`)
 * and compute again. The response always names the position it was computed up to.
 */
export async function syncOnce(deps: SyncDeps, req: SyncRequest, filter: SyncFilter, timeoutMs: number, cancel?: Cancellation): Promise<JsonObject> {
  const deadline = Date.now() + Math.min(Math.max(timeoutMs, 0), MAX_TIMEOUT_MS);
  const compute = async (): Promise<{ tick: number; result: SyncResult }> => {
    // Read the notifier's clock before the positions: a change in between wakes the wait at once.
    const tick = deps.notifier.now();
    return { tick, result: await computeSync(deps, req, filter, await currentPositions(deps)) };
  };
  let again = false;
  if (req.since && !req.fullState && timeoutMs > 0 && !cancel?.cancelled) {
    // The usual long-poll: the client already has every position. Nothing can be new for it, so
    // wait straight away instead of building an empty response first.
    const tick = deps.notifier.now();
    if (samePositions(req.since, await currentPositions(deps))) {
      const rooms = await joinedRoomIds(deps, req.userId);
      again = await deps.notifier.wait(req.userId, rooms, tick, deadline - Date.now(), cancel);
    }
  }
  // An incremental sync takes its turn with the syncs a change woke (util/gate.ts), also when it
  // finds news at once. Run straight away, a long-poll coming back for the next message jumped
  // ahead of every member still waiting for the last one, and each time took the event loop from
  // the sends: with 100 members at 200 messages/s, sends waited 39 ms at the median and
  // deliveries 48 ms; in turn, 6-8 and 16-19 ms. First and full-state syncs, heavy and rare, do
  // not queue.
  const takesTurns = req.since !== undefined && !req.fullState;
  for (; ; again = true) {
    const { tick, result } = again || takesTurns ? await deps.woken.run(compute) : await compute();
    const remaining = deadline - Date.now();
    if (!result.empty || !req.since || remaining <= 0 || cancel?.cancelled) {
      result.body.next_batch = formatSyncToken(result.next);
      return result.body;
    }
    const woken = await deps.notifier.wait(req.userId, result.joinedRooms, tick, remaining, cancel);
    if (!woken) {
      result.body.next_batch = formatSyncToken(result.next);
      return result.body;
    }
  }
}

/** Acknowledges what a client confirmed it has by syncing with a token (to-device deletion). */
export async function acknowledge(deps: SyncDeps, userId: string, deviceId: string, since: SyncPositions | undefined): Promise<void> {
  if (!since) return;
  for (const ext of deps.extensions) await ext.acknowledge?.(userId, deviceId, since[ext.stream]);
}
