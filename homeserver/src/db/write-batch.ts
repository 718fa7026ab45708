import type { Knex } from 'knex';

/** A statement of a batch: a knex builder not yet run, or SQL with its values written in (sql-literal.ts). */
export type Statement = Knex.QueryBuilder | Knex.Raw | string;

/** pg's client (query) or PGlite (exec): both take several statements in one simple-protocol message. */
interface RawConnection {
  query(sql: string): Promise<unknown>;
  exec?(sql: string): Promise<unknown>;
}

interface ConnectionSource {
  acquireConnection(): Promise<RawConnection>;
  releaseConnection(c: RawConnection): Promise<void>;
}

/**
 * Writes whose answers nobody reads, sent to the database together as one simple-protocol message:
 * one round trip instead of one per statement. PostgreSQL (and PGlite, which is PostgreSQL) runs
 * such a message as one implicit transaction, so all or none of it takes effect. Builders are turned into SQL by knex's literal
 * quoting (pg's escapeLiteral rules), which is also what sql-literal.ts writes.
 */
export class WriteBatch {
  private readonly sql: string[] = [];

  add(...statements: Statement[]): this {
    for (const s of statements) this.sql.push(typeof s === 'string' ? s : s.toString());
    return this;
  }

  get size(): number {
    return this.sql.length;
  }

  /** Runs the statements atomically, in a transaction of their own. */
  async commit(db: Knex): Promise<void> {
    if (this.sql.length === 0) return;
    await this.send(db.client as ConnectionSource);
  }

  /**
   * As commit, answering the rows of the last statement: a read after the writes, inside their
   * transaction, so what was written comes back without a second round trip.
   */
  async commitReading<R>(db: Knex): Promise<R[]> {
    if (this.sql.length === 0) return [];
    const answer = await this.send(db.client as ConnectionSource);
    // pg answers one result for one statement and a list for several; PGlite always a list.
    const last: unknown = Array.isArray(answer) ? answer[answer.length - 1] : answer;
    return ((last as { rows?: R[] } | undefined)?.rows ?? []) as R[];
  }

  /** Runs the statements inside a transaction the caller holds. */
  async runIn(trx: Knex.Transaction): Promise<void> {
    if (this.sql.length === 0) return;
    // A transaction's client hands out the transaction's own connection.
    await this.send(trx.client as ConnectionSource);
  }

  private async send(source: ConnectionSource): Promise<unknown> {
    // Straight to the driver, not through knex's raw(): that would read every `?` inside the
    // quoted values as a parameter.
    const sql = this.sql.join(';\n');
    const conn = await source.acquireConnection();
    try {
      return await (conn.exec ? conn.exec(sql) : conn.query(sql));
    } finally {
      await source.releaseConnection(conn);
    }
  }
}
