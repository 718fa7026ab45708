/**
 * Joins the reads that concurrent callers ask for into one load. Every key asked for while the
 * promise callbacks queued right now run is loaded by a single call of `loadMany` once they have
 * all run: the rooms of one sync response step through the same reads together, so 500 rooms
 * cost one query per step instead of 500. One caller alone waits only for those callbacks.
 *
 * A key is a string (what makes two requests the same); its query is whatever `loadMany` needs
 * to answer it, kept from the first request of the key in a batch.
 */
export class Coalescer<Q, V> {
  private batch: { queries: Map<string, Q>; done: Promise<ReadonlyMap<string, V>> } | undefined;

  constructor(private readonly loadMany: (queries: ReadonlyMap<string, Q>) => Promise<ReadonlyMap<string, V>>) {}

  /** The value for `key`, or undefined when `loadMany` found none. */
  async load(key: string, query: Q): Promise<V | undefined> {
    return (await this.join([[key, query]])).get(key);
  }

  /** The whole answer of the batch the requests joined; look up only what you asked for. */
  join(requests: Iterable<readonly [string, Q]>): Promise<ReadonlyMap<string, V>> {
    const batch = this.open();
    for (const [key, query] of requests) if (!batch.queries.has(key)) batch.queries.set(key, query);
    return batch.done;
  }

  private open(): { queries: Map<string, Q>; done: Promise<ReadonlyMap<string, V>> } {
    if (this.batch) return this.batch;
    const queries = new Map<string, Q>();
    const done = new Promise<ReadonlyMap<string, V>>((resolve, reject) => {
      // A tick queued from a promise callback runs once every callback queued so far has run,
      // with whatever those callbacks queued in turn: the other readers' requests are in by then.
      void Promise.resolve().then(() =>
        process.nextTick(() => {
          this.batch = undefined;
          Promise.resolve()
            .then(() => this.loadMany(queries))
            .then(resolve, reject);
        }),
      );
    });
    this.batch = { queries, done };
    return this.batch;
  }
}
