import type { Knex } from 'knex';

/**
 * One schema step of one component. Names are `<component>/<NNN>_<what>`; a step, once released,
 * never changes: fix a mistake with a new step.
 */
export interface Migration {
  readonly name: string;
  up(db: Knex): Promise<void>;
}

const TABLE = 'schema_migrations';

/** Applies the steps not yet applied, in the order given, each in its own transaction. */
export async function migrate(db: Knex, steps: readonly Migration[]): Promise<string[]> {
  const seen = new Set<string>();
  for (const m of steps) {
    if (seen.has(m.name)) throw new Error(`migration ${m.name} is listed twice`);
    seen.add(m.name);
  }
  const source: Knex.MigrationSource<Migration> = {
    getMigrations: async () => [...steps],
    getMigrationName: (m) => m.name,
    getMigration: async (m) => ({ up: (k: Knex) => m.up(k), down: async () => { throw new Error('schema steps are not reversed'); } }),
  };
  const [, applied] = (await db.migrate.latest({ migrationSource: source, tableName: TABLE, disableMigrationsListValidation: false })) as [number, string[]];
  return applied;
}
