import test from 'ava';
import { registerUser } from '../helpers/client.js';
import { startTestServer } from '../helpers/server.js';

test('an OpenID token names its user to a third party, and nothing else', async (t) => {
  const s = await startTestServer(t, { HS_OPEN_REGISTRATION: '1' });
  const alice = await registerUser(s, 'alice');
  const bob = await registerUser(s, 'bob');
  const path = (u: string) => `/_matrix/client/v3/user/${encodeURIComponent(u)}/openid/request_token`;

  const res = await alice.call('POST', path(alice.userId), {});
  t.is(res.status, 200);
  t.is(res.body.token_type, 'Bearer');
  t.is(res.body.matrix_server_name, 'hs.test');
  t.true(res.body.expires_in > 0);

  // The third party is not a homeserver: userinfo takes no request signature.
  const info = await s.request('GET', `/_matrix/federation/v1/openid/userinfo?access_token=${encodeURIComponent(res.body.access_token)}`);
  t.is(info.status, 200);
  t.deepEqual(info.body, { sub: alice.userId });

  t.is((await s.request('GET', '/_matrix/federation/v1/openid/userinfo?access_token=nope')).body.errcode, 'M_UNKNOWN_TOKEN');
  t.is((await s.request('GET', '/_matrix/federation/v1/openid/userinfo')).body.errcode, 'M_MISSING_PARAM');
  // The access token itself is no OpenID token.
  t.is((await s.request('GET', `/_matrix/federation/v1/openid/userinfo?access_token=${alice.accessToken}`)).status, 401);
  // Nobody gets a token for someone else.
  t.is((await bob.call('POST', path(alice.userId), {})).status, 403);
  t.is((await s.request('POST', path(alice.userId), {})).status, 401);
});
