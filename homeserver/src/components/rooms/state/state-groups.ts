import type { Knex } from 'knex';
import { splitStateKey, stateKey, type StateKey, type StateMap } from '../../../core/events.js';
import { LruCache } from '../../../util/lru.js';
import { Coalescer } from '../../../util/coalesce.js';
import { groupBy } from '../../../util/group-by.js';
import { anyBigint } from '../../../db/json-list.js';
import { insertSql } from '../../../db/sql-literal.js';
import { WriteBatch } from '../../../db/write-batch.js';

/** A chain of deltas is cut with a full copy this often, bounding the rows read to rebuild a state. */
const MAX_CHAIN_LENGTH = 256;

/** Group IDs reserved from the sequence per round trip. */
const ID_BLOCK = 32;

interface GroupRow {
  id: number;
  parent: number | null;
  chain_length: number;
}

/**
 * State snapshots stored as deltas against a parent group (principle 5 of DESIGN.md). Maps handed
 * out are shared with the cache and must not be mutated; copy before changing.
 */
export class StateGroups {
  private readonly cache = new LruCache<number, StateMap>(512);
  private readonly chainLength = new LruCache<number, number>(4096);
  /** Group IDs taken from the sequence and not used yet. */
  private readonly spareIds: number[] = [];

  constructor(private readonly db: Knex) {}

  async get(group: number): Promise<StateMap> {
    const hit = this.cache.get(group);
    if (hit) return hit;
    const state = await this.loader.load(String(group), group);
    if (!state) throw new Error(`state group ${group} does not exist`);
    return state;
  }

  /** Groups that concurrent readers (the rooms of one sync) miss, rebuilt together. */
  private readonly loader = new Coalescer<number, StateMap>((groups) => this.load([...groups.values()]));

  /**
   * Rebuilds `groups` from their chains of deltas in two round trips for all of them: the chains
   * up to their full copies, then the entries of the groups not already in memory.
   */
  private async load(groups: readonly number[]): Promise<Map<string, StateMap>> {
    const rows = (
      (await this.db.raw(
        `WITH RECURSIVE chain(id, parent, chain_length) AS (
           SELECT id, parent, chain_length FROM state_groups WHERE id = ANY(ARRAY(SELECT (jsonb_array_elements_text(?::jsonb))::bigint))
           UNION
           SELECT g.id, g.parent, g.chain_length FROM state_groups g JOIN chain c ON g.id = c.parent
         ) SELECT id, parent, chain_length FROM chain`,
        [JSON.stringify(groups)],
      )) as { rows: GroupRow[] }
    ).rows.map((r) => ({ ...r, id: Number(r.id), parent: r.parent === null ? null : Number(r.parent) }));
    const byId = new Map(rows.map((g) => [g.id, g]));
    // Each group's chain from itself up to the nearest ancestor already in memory, or its full copy.
    const plans = new Map<number, { chain: GroupRow[]; base: StateMap | undefined }>();
    for (const group of groups) {
      const chain: GroupRow[] = [];
      let base: StateMap | undefined;
      for (let g = byId.get(group); g; g = g.parent === null ? undefined : byId.get(g.parent)) {
        if (chain.length > 0) base = this.cache.get(g.id);
        if (base) break;
        chain.push(g);
      }
      if (chain.length > 0) plans.set(group, { chain, base });
    }
    const needed = new Set([...plans.values()].flatMap((p) => p.chain.map((g) => g.id)));
    const entries =
      needed.size === 0
        ? []
        : ((await this.db('state_group_entries')
            .select('group_id', 'type', 'state_key', 'event_id')
            .where(anyBigint(this.db, 'group_id', [...needed]))) as Array<{
            group_id: number;
            type: string;
            state_key: string;
            event_id: string | null;
          }>);
    const byGroup = groupBy(entries, (e) => String(Number(e.group_id)));
    const out = new Map<string, StateMap>();
    for (const [group, { chain, base }] of plans) {
      let state: StateMap = new Map(base ?? []);
      for (let i = chain.length - 1; i >= 0; i--) {
        const g = chain[i]!;
        if (g.parent === null) state = new Map();
        for (const e of byGroup.get(String(g.id)) ?? []) {
          const k = stateKey(e.type, e.state_key);
          if (e.event_id === null) state.delete(k);
          else state.set(k, e.event_id);
        }
        this.chainLength.set(g.id, g.chain_length);
      }
      this.cache.set(group, state);
      out.set(String(group), state);
    }
    return out;
  }

  /**
   * Stores `state` as a new group: a delta against `parent` when one is given and its chain is not
   * too long, else a full copy. Returns the new group's ID.
   */
  async create(trx: Knex.Transaction, roomId: string, state: StateMap, parent?: { id: number; state: StateMap }): Promise<number> {
    const planned = await this.plan(trx, roomId, state, parent);
    await new WriteBatch().add(...planned.statements).runIn(trx);
    return planned.id;
  }

  /**
   * A new group's ID and the statements that store it (SQL, not yet run): what `create`
   * does, for a WriteBatch. The ID comes from the table's sequence, reserved a block at a time, so
   * planning usually needs no round trip. `db` is where an uncached parent is looked up (the
   * caller's transaction, or by default the pool).
   */
  async plan(db: Knex | undefined, roomId: string, state: StateMap, parent?: { id: number; state: StateMap }): Promise<{ id: number; statements: string[] }> {
    const parentLength = parent ? (this.chainLength.get(parent.id) ?? (await this.lengthOf(db ?? this.db, parent.id))) : undefined;
    const asDelta = parent !== undefined && parentLength !== undefined && parentLength < MAX_CHAIN_LENGTH;
    const entries: Array<[StateKey, string | null]> = [];
    if (asDelta) {
      for (const [k, v] of state) if (parent.state.get(k) !== v) entries.push([k, v]);
      for (const k of parent.state.keys()) if (!state.has(k)) entries.push([k, null]);
    } else {
      entries.push(...state);
    }
    const id = await this.nextId();
    const chainLength = asDelta ? parentLength + 1 : 0;
    const statements = [insertSql('state_groups', ['id', 'room_id', 'parent', 'chain_length'], [[id, roomId, asDelta ? parent.id : null, chainLength]])];
    for (let i = 0; i < entries.length; i += 1000) {
      const rows = entries.slice(i, i + 1000).map(([k, eventId]) => {
        const [type, key] = splitStateKey(k);
        return [id, type, key, eventId];
      });
      statements.push(insertSql('state_group_entries', ['group_id', 'type', 'state_key', 'event_id'], rows));
    }
    this.chainLength.set(id, chainLength);
    return { id, statements };
  }

  private async nextId(): Promise<number> {
    if (this.spareIds.length === 0) {
      // Outside any transaction: a sequence hands out each value once, whatever rolls back later.
      const { rows } = (await this.db.raw(`SELECT nextval(pg_get_serial_sequence('state_groups', 'id')) AS id FROM generate_series(1, ?)`, [ID_BLOCK])) as {
        rows: Array<{ id: number | string }>;
      };
      this.spareIds.push(...rows.map((r) => Number(r.id)));
    }
    return this.spareIds.shift()!;
  }

  /** Remembers a state the caller built, once its transaction committed. */
  remember(group: number, state: StateMap): void {
    this.cache.set(group, state);
  }

  private async lengthOf(trx: Knex, id: number): Promise<number | undefined> {
    const row = (await trx('state_groups').select('chain_length').where('id', id).first()) as { chain_length: number } | undefined;
    return row?.chain_length;
  }
}
