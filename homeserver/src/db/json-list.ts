import type { Knex } from 'knex';

/**
 * `column = ANY(values)` with the list sent as one JSON parameter: a list of any length is one
 * statement with one bind parameter, where `whereIn` takes one per value (65,535 at most). The
 * ARRAY(…) is computed once, so PostgreSQL looks the values up in an index; `IN (SELECT …)` of
 * the same set came out as a scan of the whole table joined against the list.
 */
export function anyText(db: Knex, column: string, values: readonly string[]): Knex.Raw {
  return db.raw('?? = ANY(ARRAY(SELECT jsonb_array_elements_text(?::jsonb)))', [column, JSON.stringify(values)]);
}

/** anyText for whole numbers (state group IDs). */
export function anyBigint(db: Knex, column: string, values: readonly number[]): Knex.Raw {
  return db.raw('?? = ANY(ARRAY(SELECT (jsonb_array_elements_text(?::jsonb))::bigint))', [column, JSON.stringify(values)]);
}
