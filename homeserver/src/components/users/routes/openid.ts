import { randomBytes } from 'node:crypto';
import type Router from '@koa/router';
import type { Knex } from 'knex';
import { z } from 'zod';
import { getRequester, requireAuth, type Authenticate } from '../../../http/auth.js';
import { jsonBody } from '../../../http/body.js';
import { errors, MatrixError } from '../../../http/errors.js';
import { queryString } from '../../../http/params.js';
import { sha256Hex } from '../ids.js';

/** An hour, as Synapse gives: long enough for a widget to start, short enough not to matter if leaked. */
const OPENID_TOKEN_LIFETIME_MS = 3600_000;

/**
 * POST /_matrix/client/v3/user/{userId}/openid/request_token — a token proving the user's identity
 * to a third party, which checks it with GET /_matrix/federation/v1/openid/userinfo (federation
 * listener, no request signature: the third party is not a homeserver).
 */
export function openIdRoutes(router: Router, db: Knex, serverName: string, authenticate: Authenticate): void {
  router.post('/_matrix/client/v3/user/:userId/openid/request_token', requireAuth(authenticate), async (ctx) => {
    const requester = getRequester(ctx);
    await jsonBody(ctx, z.object({}).passthrough(), { allowEmpty: true });
    if (ctx.params['userId'] !== requester.userId) throw errors.forbidden('Cannot request an OpenID token for another user');
    const token = randomBytes(32).toString('base64url');
    const now = Date.now();
    // Expired tokens go as new ones come: the table stays the size of an hour's requests.
    await db('users_openid_tokens').where('expires_ts', '<', now).delete();
    await db('users_openid_tokens').insert({ token_hash: sha256Hex(token), user_id: requester.userId, expires_ts: now + OPENID_TOKEN_LIFETIME_MS });
    ctx.body = { access_token: token, token_type: 'Bearer', matrix_server_name: serverName, expires_in: OPENID_TOKEN_LIFETIME_MS / 1000 };
  });
}

export function openIdFederationRoutes(router: Router, db: Knex): void {
  router.get('/_matrix/federation/v1/openid/userinfo', async (ctx) => {
    const token = queryString(ctx, 'access_token');
    if (!token) throw errors.missingParam('access_token is required');
    const row = (await db('users_openid_tokens').select('user_id', 'expires_ts').where('token_hash', sha256Hex(token)).first()) as { user_id: string; expires_ts: string | number } | undefined;
    if (!row || Number(row.expires_ts) < Date.now()) throw new MatrixError(401, 'M_UNKNOWN_TOKEN', 'Unknown or expired OpenID token');
    ctx.body = { sub: row.user_id };
  });
}
