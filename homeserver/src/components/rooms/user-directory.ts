import type { JsonObject } from '../../core/json.js';
import type { BackgroundTasks } from './background.js';
import type { ProfileSource } from './membership.js';
import type { StoredEvent } from './storage/events.js';
import type { UserDirectoryStore } from './storage/user-directory.js';

const MAX_LIMIT = 50;

/**
 * The user directory: names come from the global profile for our users (room-specific nicknames
 * stay in their rooms) and from their latest join for users of other servers.
 */
export class UserDirectory {
  constructor(
    private readonly store: UserDirectoryStore,
    private readonly profiles: ProfileSource,
    private readonly tasks: BackgroundTasks,
    private readonly serverName: string,
    private readonly settled: () => Promise<void>,
  ) {}

  onPersisted(events: readonly StoredEvent[]): void {
    for (const e of events) {
      if (e.pdu.type !== 'm.room.member' || e.pdu.content.membership !== 'join' || e.pdu.state_key === undefined) continue;
      const userId = e.pdu.state_key;
      const content = e.pdu.content;
      this.tasks.schedule(`user:${userId}`, () => this.refresh(userId, content));
    }
  }

  private async refresh(userId: string, joinContent: JsonObject): Promise<void> {
    let name: unknown = joinContent.displayname;
    let avatar: unknown = joinContent.avatar_url;
    if (userId.slice(userId.indexOf(':') + 1) === this.serverName) {
      const profile = await this.profiles.getProfile(userId);
      if (profile) {
        name = profile.displayname;
        avatar = profile.avatar_url;
      }
    }
    await this.store.upsert({
      user_id: userId,
      display_name: typeof name === 'string' && name !== '' ? name : null,
      avatar_url: typeof avatar === 'string' && avatar !== '' ? avatar : null,
    });
  }

  /** POST /user_directory/search */
  async search(searcher: string, term: string, limit: number): Promise<JsonObject> {
    await this.settled();
    const capped = Math.min(limit, MAX_LIMIT);
    const rows = await this.store.search(searcher, term.trim(), capped + 1);
    const results: JsonObject[] = rows.slice(0, capped).map((r) => {
      const out: JsonObject = { user_id: r.user_id };
      if (r.display_name !== null) out.display_name = r.display_name;
      if (r.avatar_url !== null) out.avatar_url = r.avatar_url;
      return out;
    });
    return { limited: rows.length > capped, results };
  }
}
