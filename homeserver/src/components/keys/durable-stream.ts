import type { Knex } from '../../db/database.js';
import { StreamIdGenerator } from '../../streams/stream-id.js';

/** Positions taken ahead of the stored ceiling at once, so most reservations write nothing. */
const BLOCK = 1000;

export interface Reservation {
  ids: number[];
  done(): void;
}

/**
 * A StreamIdGenerator whose positions never go back across restarts, even when the rows that used
 * them are deleted (acknowledged to-device messages). Starting from the highest remaining row
 * would hand out positions a client's token already covers: its messages would be skipped, or
 * deleted as acknowledged before delivery. So a ceiling is stored ahead of every position handed
 * out, and a restarted server begins above it.
 */
export class DurableStream {
  private raising: Promise<void> = Promise.resolve();

  private constructor(
    private readonly db: Knex,
    private readonly name: string,
    private ceiling: number,
    private readonly ids: StreamIdGenerator,
  ) {}

  static async open(db: Knex, name: string): Promise<DurableStream> {
    await db('keys_streams').insert({ name, ceiling: 0 }).onConflict('name').ignore();
    const row = (await db('keys_streams').where({ name }).first('ceiling')) as { ceiling: string | number };
    const ceiling = Number(row.ceiling);
    return new DurableStream(db, name, ceiling, new StreamIdGenerator(ceiling));
  }

  /** The highest position below which every reservation has finished. */
  current(): number {
    return this.ids.current();
  }

  /** Reserves `count` positions; call done() once their rows are committed or abandoned. */
  async reserve(count = 1): Promise<Reservation> {
    const r = this.ids.reserve(count);
    try {
      await this.cover(r.ids[r.ids.length - 1] ?? 0);
    } catch (err) {
      r.done();
      throw err;
    }
    return r;
  }

  /** Moves the position forward by one without a row (a sync response that must not share a token). */
  async bump(): Promise<void> {
    (await this.reserve(1)).done();
  }

  private cover(top: number): Promise<void> {
    if (top <= this.ceiling) return Promise.resolve();
    const run = this.raising
      .catch(() => undefined)
      .then(async () => {
        if (top <= this.ceiling) return;
        const next = top + BLOCK;
        await this.db('keys_streams')
          .where({ name: this.name })
          .update({ ceiling: this.db.raw('GREATEST(ceiling, ?::bigint)', [next]) });
        this.ceiling = Math.max(this.ceiling, next);
      });
    this.raising = run;
    return run;
  }
}
