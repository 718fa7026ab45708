import pg from 'pg';

/** One of the server's connections as PostgreSQL sees it. */
export interface ConnectionActivity {
  pid: number;
  /** active, idle, idle in transaction, … */
  state: string | null;
  /** Lock, Client, IO, …: what the backend waits for, if anything. */
  waitEventType: string | null;
  waitEvent: string | null;
  /** Milliseconds since the open transaction began, if one is open. */
  transactionMs: number | null;
  /** Milliseconds since the state last changed. */
  stateMs: number | null;
  /** The statement running, or the last one run; cut short. */
  query: string;
}

/**
 * What every connection of `applicationName` to the database of `url` is doing. When the pool has
 * no connection to give for a long time, the answer tells a leak (idle in transaction: the server
 * holds a transaction open while awaiting something else) from lock waits and from slow
 * statements. It asks on a connection of its own, since the pool has none to spare.
 */
export async function connectionActivity(url: string, applicationName: string, connectTimeoutMs = 5000): Promise<ConnectionActivity[]> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: connectTimeoutMs, application_name: `${applicationName}-diagnosis` });
  await client.connect();
  try {
    const { rows } = await client.query<{
      pid: number;
      state: string | null;
      wait_event_type: string | null;
      wait_event: string | null;
      transaction_ms: number | null;
      state_ms: number | null;
      query: string | null;
    }>(
      `SELECT pid, state, wait_event_type, wait_event,
              (EXTRACT(EPOCH FROM now() - xact_start) * 1000)::float8 AS transaction_ms,
              (EXTRACT(EPOCH FROM now() - state_change) * 1000)::float8 AS state_ms,
              left(query, 300) AS query
         FROM pg_stat_activity
        WHERE datname = current_database() AND application_name = $1
        ORDER BY xact_start NULLS LAST`,
      [applicationName],
    );
    return rows.map((r) => ({
      pid: r.pid,
      state: r.state,
      waitEventType: r.wait_event_type,
      waitEvent: r.wait_event,
      transactionMs: r.transaction_ms === null ? null : Math.round(r.transaction_ms),
      stateMs: r.state_ms === null ? null : Math.round(r.state_ms),
      query: r.query ?? '',
    }));
  } finally {
    await client.end();
  }
}
