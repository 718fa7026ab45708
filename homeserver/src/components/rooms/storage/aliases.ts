import type { Knex } from 'knex';

export interface AliasRow {
  alias: string;
  room_id: string;
  creator: string;
}

/** Local room aliases (`#name:ourserver`) and the rooms they point at. */
export class AliasStore {
  constructor(private readonly db: Knex) {}

  async resolve(alias: string): Promise<AliasRow | undefined> {
    return (await this.db('room_aliases').select('alias', 'room_id', 'creator').where('alias', alias).first()) as AliasRow | undefined;
  }

  /** False when the alias is taken. */
  async create(alias: string, roomId: string, creator: string, db: Knex = this.db): Promise<boolean> {
    const inserted = (await db('room_aliases')
      .insert({ alias, room_id: roomId, creator, created_ts: Date.now() })
      .onConflict('alias')
      .ignore()
      .returning('alias')) as unknown[];
    return inserted.length > 0;
  }

  async delete(alias: string): Promise<boolean> {
    return (await this.db('room_aliases').where('alias', alias).delete()) > 0;
  }

  async forRoom(roomId: string): Promise<string[]> {
    return ((await this.db('room_aliases').select('alias').where('room_id', roomId).orderBy('alias')) as Array<{ alias: string }>).map((r) => r.alias);
  }
}
