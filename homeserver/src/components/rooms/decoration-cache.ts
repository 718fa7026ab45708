import type { Knex } from 'knex';
import { isJsonObject } from '../../core/json.js';
import { LruCache } from '../../util/lru.js';
import type { StoredEvent } from './storage/events.js';

/**
 * Remembers which events are known to have no redaction and no relations, so formatting a page of
 * events (every sync of every member) skips the two lookups for the common case. Entries are
 * dropped when a redaction or relation naming the event is persisted; a lookup that raced with
 * such a write is not remembered (generation check).
 */
export class DecorationCache {
  private readonly unredacted = new LruCache<string, true>(100_000);
  private readonly unrelated = new LruCache<string, true>(100_000);
  private redactionGeneration = 0;
  private relationGeneration = 0;

  static for(db: Knex): DecorationCache {
    let c = all.get(db);
    if (!c) all.set(db, (c = new DecorationCache()));
    return c;
  }

  /** The events whose redaction status must still be looked up. */
  needRedactionLookup(ids: readonly string[]): string[] {
    return ids.filter((id) => !this.unredacted.get(id));
  }

  needRelationLookup(ids: readonly string[]): string[] {
    return ids.filter((id) => !this.unrelated.get(id));
  }

  generations(): { redaction: number; relation: number } {
    return { redaction: this.redactionGeneration, relation: this.relationGeneration };
  }

  rememberUnredacted(ids: Iterable<string>, since: number): void {
    if (since !== this.redactionGeneration) return;
    for (const id of ids) this.unredacted.set(id, true);
  }

  rememberUnrelated(ids: Iterable<string>, since: number): void {
    if (since !== this.relationGeneration) return;
    for (const id of ids) this.unrelated.set(id, true);
  }

  /**
   * Called for every newly persisted event. A new local event cannot have been redacted or
   * related to yet, so it starts out known-clean; events that may arrive after their children
   * (from federation) must not be passed as `fresh`.
   */
  observe(events: readonly StoredEvent[], fresh = true): void {
    for (const e of events) {
      const pdu = e.pdu;
      if (fresh) {
        this.unredacted.set(e.eventId, true);
        this.unrelated.set(e.eventId, true);
      }
      if (pdu.type === 'm.room.redaction') {
        this.redactionGeneration++;
        const target = typeof pdu.content.redacts === 'string' ? pdu.content.redacts : pdu.redacts;
        if (typeof target === 'string') this.unredacted.delete(target);
      }
      const rel = pdu.content['m.relates_to'];
      if (isJsonObject(rel) && typeof rel.event_id === 'string') {
        this.relationGeneration++;
        this.unrelated.delete(rel.event_id);
      }
    }
  }
}

const all = new WeakMap<Knex, DecorationCache>();
