import type { Knex } from 'knex';
import type { JsonObject } from '../../core/json.js';
import { toClientEvent } from './client-events.js';
import type { EventStore, StoredEvent } from './storage/events.js';
import type { CurrentState } from './state/current-state.js';
import { DecorationCache } from './decoration-cache.js';
import { Coalescer } from '../../util/coalesce.js';
import { groupBy } from '../../util/group-by.js';
import { anyText } from '../../db/json-list.js';

interface RelationRow {
  event_id: string;
  relates_to: string;
  rel_type: string;
  sender: string;
  type: string;
  stream_ordering: number;
}

/** Relation rows that still count: accepted, and not redacted (a redaction strips m.relates_to). */
export function liveRelations(db: Knex): Knex.QueryBuilder {
  return db('event_relations as r')
    .join('events as e', 'e.event_id', 'r.event_id')
    .leftJoin('redactions as x', 'x.redacts', 'r.event_id')
    .whereNull('x.redacts')
    .whereNull('e.rejected_reason')
    .andWhere('e.soft_failed', false);
}

/**
 * Server-side aggregations of child events (`unsigned.m.relations`): the latest valid edit, thread
 * summaries and references, for a page of events in a few queries.
 */
export class RelationsReader {
  constructor(
    private readonly db: Knex,
    private readonly events: EventStore,
    private readonly current: CurrentState,
  ) {}

  /** The relations of parents that concurrent readers (the rooms of one sync) ask about, in one query; oldest first per parent. */
  private readonly children = new Coalescer<string, RelationRow[]>(async (parents) => {
    const rows = (await liveRelations(this.db)
      .select('r.event_id', 'r.relates_to', 'r.rel_type', 'r.sender', 'r.type', 'r.stream_ordering')
      .where(anyText(this.db, 'r.relates_to', [...parents.keys()]))
      .whereIn('r.rel_type', ['m.replace', 'm.thread', 'm.reference'])
      .orderBy('r.stream_ordering')) as RelationRow[];
    return groupBy(rows, (r) => r.relates_to);
  });

  async aggregationsFor(parents: readonly StoredEvent[], userId: string): Promise<Map<string, JsonObject>> {
    const out = new Map<string, JsonObject>();
    if (parents.length === 0) return out;
    const cache = DecorationCache.for(this.db);
    const lookup = cache.needRelationLookup(parents.map((p) => p.eventId));
    if (lookup.length === 0) return out;
    const generation = cache.generations().relation;
    const byId = new Map(parents.filter((p) => lookup.includes(p.eventId)).map((p) => [p.eventId, p]));
    const found = await this.children.join([...byId.keys()].map((id) => [id, id]));
    const rows = [...byId.keys()].flatMap((id) => found.get(id) ?? []);
    const related = new Set(rows.map((r) => r.relates_to));
    cache.rememberUnrelated(
      lookup.filter((id) => !related.has(id)),
      generation,
    );
    if (rows.length === 0) return out;
    const children = await this.events.getMany(rows.filter((r) => r.rel_type !== 'm.reference').map((r) => r.event_id));
    const now = Date.now();
    for (const [parentId, parent] of byId) {
      const mine = rows.filter((r) => r.relates_to === parentId);
      if (mine.length === 0) continue;
      const agg: JsonObject = {};
      const rv = (await this.current.info(parent.roomId))?.version;
      if (!rv) continue;
      // A valid edit comes from the original sender, keeps the type, and touches no state event.
      const edits = mine
        .filter((r) => r.rel_type === 'm.replace' && r.sender === parent.pdu.sender && r.type === parent.pdu.type && parent.pdu.state_key === undefined)
        .map((r) => children.get(r.event_id))
        .filter((e): e is StoredEvent => e !== undefined && e.pdu.state_key === undefined);
      const latestEdit = edits.sort((a, b) => a.pdu.origin_server_ts - b.pdu.origin_server_ts || (a.eventId < b.eventId ? -1 : 1)).at(-1);
      if (latestEdit) agg['m.replace'] = toClientEvent(latestEdit, rv, { now });
      const thread = mine.filter((r) => r.rel_type === 'm.thread');
      if (thread.length > 0) {
        const latest = children.get(thread[thread.length - 1]!.event_id);
        agg['m.thread'] = {
          ...(latest ? { latest_event: toClientEvent(latest, rv, { now }) } : {}),
          count: thread.length,
          current_user_participated: parent.pdu.sender === userId || thread.some((r) => r.sender === userId),
        };
      }
      const refs = mine.filter((r) => r.rel_type === 'm.reference');
      if (refs.length > 0) agg['m.reference'] = { chunk: refs.map((r) => ({ event_id: r.event_id })) };
      if (Object.keys(agg).length > 0) out.set(parentId, agg);
    }
    return out;
  }
}
