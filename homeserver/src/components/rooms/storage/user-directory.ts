import type { Knex } from 'knex';
import { likeEscape } from './summaries.js';

export interface DirectoryUser {
  user_id: string;
  display_name: string | null;
  avatar_url: string | null;
}

/**
 * `user_directory`: searchable names of users, and the search itself. Who may be found comes from
 * `room_memberships` and `room_summaries`, so a search reads users, never events.
 */
export class UserDirectoryStore {
  constructor(private readonly db: Knex) {}

  async upsert(row: DirectoryUser): Promise<void> {
    await this.db('user_directory').insert(row).onConflict('user_id').merge(['display_name', 'avatar_url']);
  }

  /**
   * Users matching `term` (case-insensitive substring of the user ID or display name) who are
   * joined to a room the searcher is joined to, or to a public or world-readable room. Best
   * matches first: exact, then prefix of a name or word, then the rest.
   */
  async search(searcher: string, term: string, limit: number): Promise<DirectoryUser[]> {
    const t = term.toLowerCase();
    const contains = `%${likeEscape(t)}%`;
    const prefix = `${likeEscape(t)}%`;
    const rows = (await this.db
      .select('d.user_id', 'd.display_name', 'd.avatar_url')
      .from('user_directory as d')
      .where((q) => q.whereRaw('lower(d.user_id) like ?', [contains]).orWhereRaw('lower(d.display_name) like ?', [contains]))
      .whereExists((q) =>
        q
          .select(this.db.raw('1'))
          .from('room_memberships as m')
          .whereRaw('m.user_id = d.user_id')
          .andWhere('m.membership', 'join')
          .andWhere((w) =>
            w
              .whereIn('m.room_id', this.db('room_memberships').select('room_id').where({ user_id: searcher, membership: 'join' }))
              .orWhereIn('m.room_id', this.db('room_summaries').select('room_id').where('join_rule', 'public').orWhere('history_visibility', 'world_readable')),
          ),
      )
      .orderByRaw(
        `CASE
           WHEN lower(d.display_name) = ? OR lower(d.user_id) = ? OR lower(d.user_id) like ? THEN 0
           WHEN lower(d.display_name) like ? OR lower(d.display_name) like ? OR lower(d.user_id) like ? THEN 1
           ELSE 2
         END`,
        [t, t, `@${prefix.replace(/%$/, '')}:%`, prefix, `% ${prefix}`, `@${prefix}`],
      )
      .orderByRaw('d.display_name IS NULL, d.avatar_url IS NULL, lower(coalesce(d.display_name, d.user_id)), d.user_id')
      .limit(limit)) as DirectoryUser[];
    return rows;
  }
}
