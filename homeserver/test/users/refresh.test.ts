import test from 'ava';
import { C, createUser, startUsersServer } from './helpers.js';

const passwordLogin = (user: string, password: string, extra: Record<string, unknown> = {}) => ({
  type: 'm.login.password',
  identifier: { type: 'm.id.user', user },
  password,
  ...extra,
});

test('refresh-token rotation: the old refresh token dies once the new pair is used', async (t) => {
  const s = await startUsersServer(t);
  await createUser(s, 'alice', { password: 'pw' });
  const first = (await s.request('POST', `${C}/login`, passwordLogin('alice', 'pw', { refresh_token: true }))).body;
  t.regex(first.refresh_token, /^hrt_/);
  t.is(first.expires_in_ms, 300_000);

  const second = await s.request('POST', `${C}/refresh`, { refresh_token: first.refresh_token });
  t.is(second.status, 200, JSON.stringify(second.body));
  t.not(second.body.access_token, first.access_token);
  t.not(second.body.refresh_token, first.refresh_token);
  t.is(second.body.expires_in_ms, 300_000);

  // Until the new tokens are used the old refresh token still works (the answer may have been lost);
  // the pair it gives replaces the unused one.
  const retry = await s.request('POST', `${C}/refresh`, { refresh_token: first.refresh_token });
  t.is(retry.status, 200);
  t.is((await s.as(second.body.access_token, 'GET', `${C}/account/whoami`)).status, 401, 'the replaced pair is gone');

  t.is((await s.as(retry.body.access_token, 'GET', `${C}/account/whoami`)).body.device_id, first.device_id);
  const stale = await s.request('POST', `${C}/refresh`, { refresh_token: first.refresh_token });
  t.is(stale.status, 401);
  t.is(stale.body.errcode, 'M_UNKNOWN_TOKEN');

  // Refreshing with the newest one retires the one before it as well.
  const third = await s.request('POST', `${C}/refresh`, { refresh_token: retry.body.refresh_token });
  t.is(third.status, 200);
  await s.request('POST', `${C}/refresh`, { refresh_token: third.body.refresh_token });
  t.is((await s.request('POST', `${C}/refresh`, { refresh_token: retry.body.refresh_token })).status, 401);

  const bad = await s.request('POST', `${C}/refresh`, { refresh_token: 'hrt_unknown' });
  t.is(bad.status, 401);
  t.is(bad.body.errcode, 'M_UNKNOWN_TOKEN');
  t.is((await s.request('POST', `${C}/refresh`, {})).body.errcode, 'M_BAD_JSON');
});

test('an expired access token is M_UNKNOWN_TOKEN with soft_logout; refreshing recovers', async (t) => {
  const s = await startUsersServer(t, {}, (c) => {
    c.auth.refreshableAccessTokenLifetimeMs = 500;
  });
  await createUser(s, 'alice', { password: 'pw' });
  const first = (await s.request('POST', `${C}/login`, passwordLogin('alice', 'pw', { refresh_token: true }))).body;
  t.is(first.expires_in_ms, 500);
  t.is((await s.as(first.access_token, 'GET', `${C}/account/whoami`)).status, 200);
  await new Promise((r) => setTimeout(r, 700));
  const expired = await s.as(first.access_token, 'GET', `${C}/account/whoami`);
  t.is(expired.status, 401);
  t.is(expired.body.errcode, 'M_UNKNOWN_TOKEN');
  t.is(expired.body.soft_logout, true);
  const next = await s.request('POST', `${C}/refresh`, { refresh_token: first.refresh_token });
  t.is((await s.as(next.body.access_token, 'GET', `${C}/account/whoami`)).status, 200);
});

test('clients without refresh support get tokens that do not expire', async (t) => {
  const s = await startUsersServer(t, {}, (c) => {
    c.auth.refreshableAccessTokenLifetimeMs = 200;
  });
  await createUser(s, 'alice', { password: 'pw' });
  const res = (await s.request('POST', `${C}/login`, passwordLogin('alice', 'pw'))).body;
  t.is(res.refresh_token, undefined);
  await new Promise((r) => setTimeout(r, 300));
  t.is((await s.as(res.access_token, 'GET', `${C}/account/whoami`)).status, 200);
});
