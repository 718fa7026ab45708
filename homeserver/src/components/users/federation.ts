import { parseUserId } from '../../core/ids.js';
import { errors } from '../../http/errors.js';
import type { Logger } from '../../log/logger.js';
import { FederationRequestError, federationPath, type FederationApi } from '../federation/api.js';
import type { UsersFederation } from './api.js';

/** A profile answer larger than this is not a profile (ours are at most 64 KiB). */
const MAX_PROFILE_BYTES = 64 * 1024;
/** A client waits for the remote profile; a server that takes longer is treated as not answering. */
const PROFILE_TIMEOUT_MS = 10_000;

/** The users component's view of federation: profile queries out, request authentication in. */
export function usersFederation(federation: Pick<FederationApi, 'client' | 'requireServerAuth'>, log: Logger): UsersFederation {
  return {
    requireServerAuth: federation.requireServerAuth,
    async queryProfile(userId) {
      const server = parseUserId(userId)?.serverName;
      if (server === undefined) throw errors.notFound('Profile not found');
      try {
        const answer = await federation.client.requestJson(server, {
          method: 'GET',
          path: federationPath`/_matrix/federation/v1/query/profile`,
          query: { user_id: userId },
          timeoutMs: PROFILE_TIMEOUT_MS,
          maxResponseBytes: MAX_PROFILE_BYTES,
        });
        // A field set to null is a field not set (server-server "Querying for information").
        return Object.fromEntries(Object.entries(answer).filter(([, v]) => v !== null && v !== undefined));
      } catch (err) {
        if (!(err instanceof FederationRequestError)) throw err;
        if (err.status === 403) throw errors.forbidden('The user\'s server does not disclose their profile');
        if (err.status !== 404) log.debug({ err, userId }, 'remote profile query failed');
        // The client API knows 404 for "no profile information": a server that does not answer has none for us.
        throw errors.notFound(err.status === 404 ? 'Profile not found' : 'Profile not found: the user\'s server did not answer');
      }
    },
  };
}
