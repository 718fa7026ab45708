import { errors, MatrixError } from '../../http/errors.js';
import { LruCache } from '../../util/lru.js';
import type { UsersFederation } from './api.js';

/** How long a remote profile is reused: profiles change rarely, and a stale name for a minute is harmless. */
const FOUND_TTL_MS = 60_000;
/** How long "not found" (or an unreachable server) is reused, so a client cannot make us ask again and again. */
const FAILED_TTL_MS = 30_000;
const CAPACITY = 10_000;

type Outcome = { profile: Record<string, unknown> } | { error: MatrixError };

/**
 * Remote users' profiles for the client API (`GET /profile/{userId}`), asked of their server over
 * federation. A short, bounded cache keeps repeated look-ups (a member list, an invite dialog)
 * from turning into a request each; look-ups running at once for one user share one request.
 */
export class RemoteProfiles {
  private readonly cache = new LruCache<string, { outcome: Outcome; expiresAt: number }>(CAPACITY);
  private readonly running = new Map<string, Promise<Outcome>>();
  private federation: UsersFederation | undefined;

  constructor(private readonly now: () => number = Date.now) {}

  use(federation: UsersFederation): void {
    this.federation = federation;
    this.cache.clear();
  }

  /** The profile, or the MatrixError its server's answer calls for (thrown). */
  async get(userId: string): Promise<Record<string, unknown>> {
    const outcome = await this.lookup(userId);
    if ('error' in outcome) throw outcome.error;
    return outcome.profile;
  }

  private async lookup(userId: string): Promise<Outcome> {
    const hit = this.cache.get(userId);
    if (hit && hit.expiresAt > this.now()) return hit.outcome;
    const federation = this.federation;
    if (!federation) return { error: errors.notFound('Profile not found') };
    let pending = this.running.get(userId);
    if (!pending) {
      pending = federation.queryProfile(userId).then(
        (profile): Outcome => ({ profile }),
        (err: unknown): Outcome => {
          if (err instanceof MatrixError) return { error: err };
          throw err;
        },
      );
      const p = pending;
      this.running.set(userId, p);
      void p
        .then((outcome) => this.cache.set(userId, { outcome, expiresAt: this.now() + ('error' in outcome ? FAILED_TTL_MS : FOUND_TTL_MS) }))
        .catch(() => undefined)
        .finally(() => this.running.delete(userId));
    }
    return pending;
  }
}
