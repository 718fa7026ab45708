import type { EventStore, StoredEvent } from '../storage/events.js';

/** The transitive auth_events of `ids` (the events themselves excluded unless reachable), read in batches. */
export async function authChainOf(events: EventStore, ids: Iterable<string>): Promise<StoredEvent[]> {
  const seen = new Set<string>();
  const out: StoredEvent[] = [];
  let frontier = new Set<string>();
  const start = await events.getMany(ids);
  for (const e of start.values()) for (const a of e.pdu.auth_events) frontier.add(a);
  while (frontier.size > 0) {
    const batch = [...frontier].filter((id) => !seen.has(id));
    frontier = new Set();
    if (batch.length === 0) break;
    for (const id of batch) seen.add(id);
    const loaded = await events.getMany(batch);
    for (const e of loaded.values()) {
      out.push(e);
      for (const a of e.pdu.auth_events) if (!seen.has(a)) frontier.add(a);
    }
  }
  return out;
}
