import { LruCache } from '../../util/lru.js';
import type { AccountRow } from './storage/accounts.js';
import type { ProfileFields } from './storage/profiles.js';

/** Users kept; each entry is an account row and a small profile. */
const MAX_USERS = 10_000;
/** Bounds how long a write by another process can go unnoticed here, as for cached access tokens. */
const TTL_MS = 60_000;

interface Entry {
  account: AccountRow;
  /** Undefined until read or written. */
  profile: ProfileFields | undefined;
  cachedAt: number;
}

/**
 * Local accounts and their profiles, as this process last read or wrote them: a new user's
 * registration, login, join and first messages ask for the same rows several times in a row.
 *
 * Every change of an account or profile goes through UsersService, which tells this cache once
 * the change is committed. A read that began before a change may have read what the change
 * replaced, so a read stores what it found only if no change came in between (the epoch).
 */
export class AccountCache {
  private readonly entries = new LruCache<string, Entry>(MAX_USERS);
  private changes = 0;

  constructor(private readonly now: () => number) {}

  /** Take before reading the database; hand to `loaded`. */
  get epoch(): number {
    return this.changes;
  }

  account(userId: string): AccountRow | undefined {
    return this.fresh(userId)?.account;
  }

  /** A copy of the cached profile; undefined when it is not cached. */
  profile(userId: string): ProfileFields | undefined {
    const p = this.fresh(userId)?.profile;
    return p && { ...p };
  }

  /** What a read that began at `epoch` found. */
  loaded(epoch: number, account: AccountRow, profile?: ProfileFields): void {
    if (epoch !== this.changes) return;
    const known = this.fresh(account.user_id);
    this.entries.set(account.user_id, { account: Object.freeze({ ...account }), profile: profile ? { ...profile } : known?.profile, cachedAt: this.now() });
  }

  /** An account was created (committed) with this profile. */
  created(account: AccountRow, profile: ProfileFields): void {
    this.changes++;
    this.entries.set(account.user_id, { account: Object.freeze({ ...account }), profile: { ...profile }, cachedAt: this.now() });
  }

  /**
   * A profile write that began at `epoch` was committed and left `profile`. Kept only when nothing
   * else changed meanwhile; otherwise the user is forgotten and read again when next asked.
   */
  profileWritten(userId: string, epoch: number, profile: ProfileFields): void {
    const e = epoch === this.changes ? this.fresh(userId) : undefined;
    this.changes++;
    if (e) e.profile = { ...profile };
    else this.entries.delete(userId);
  }

  /** The account or profile changed in a way not worth following here: read it again next time. */
  forget(userId: string): void {
    this.changes++;
    this.entries.delete(userId);
  }

  private fresh(userId: string): Entry | undefined {
    const e = this.entries.get(userId);
    if (e && this.now() - e.cachedAt > TTL_MS) {
      this.entries.delete(userId);
      return undefined;
    }
    return e;
  }
}
