import test from 'ava';
import { byUser, rateLimit, RateLimiter } from '../../src/http/rate-limit.js';
import { requireAuth } from '../../src/http/auth.js';
import { startStack } from '../helpers/app.js';
import { C, createUser, startUsersServer } from './helpers.js';

test('token bucket: burst, then refill at the configured rate', (t) => {
  let now = 0;
  const l = new RateLimiter({ perSecond: 2, burst: 3, now: () => now });
  t.is(l.take('a'), 0);
  t.is(l.take('a'), 0);
  t.is(l.take('a'), 0);
  t.is(l.take('a'), 500, 'one token comes back after half a second');
  t.is(l.take('b'), 0, 'keys are independent');
  now += 500;
  t.is(l.take('a'), 0);
  t.true(l.take('a') > 0);
  now += 10_000;
  for (let i = 0; i < 3; i++) t.is(l.take('a'), 0, 'refills only up to the burst');
  t.true(l.take('a') > 0);
});

test('memory stays bounded however many keys come', (t) => {
  let now = 0;
  const l = new RateLimiter({ perSecond: 0.001, burst: 1, maxKeys: 100, now: () => now });
  for (let i = 0; i < 10_000; i++) {
    l.take(`10.0.${i >> 8}.${i & 255}`);
    now++;
  }
  t.true(l.size <= 100, `size ${l.size}`);
});

test('login over the limit: 429 M_LIMIT_EXCEEDED with retry_after_ms and Retry-After', async (t) => {
  const s = await startUsersServer(t, { HS_RATE_LIMIT_LOGIN_BURST: '2', HS_RATE_LIMIT_LOGIN_PER_SECOND: '0.1' });
  await createUser(s, 'alice', { password: 'pw' });
  const attempt = () => s.request('POST', `${C}/login`, { type: 'm.login.password', user: 'alice', password: 'wrong' });
  t.is((await attempt()).status, 403);
  t.is((await attempt()).status, 403);
  const limited = await attempt();
  t.is(limited.status, 429);
  t.is(limited.body.errcode, 'M_LIMIT_EXCEEDED');
  t.true(limited.body.retry_after_ms > 5000 && limited.body.retry_after_ms <= 10_000, String(limited.body.retry_after_ms));
  t.is(limited.headers.get('retry-after'), String(Math.ceil(limited.body.retry_after_ms / 1000)));
});

test('registration attempts are limited per address', async (t) => {
  const s = await startUsersServer(t, { HS_RATE_LIMIT_REGISTER_BURST: '2', HS_OPEN_REGISTRATION: '1' });
  const statuses: number[] = [];
  for (const name of ['a1', 'a2', 'a3']) {
    const first = await s.request('POST', `${C}/register`, { username: name, password: 'pw' });
    t.is(first.status, 401, 'asking for the flows is not an attempt');
    statuses.push((await s.request('POST', `${C}/register`, { username: name, password: 'pw', auth: { type: 'm.login.dummy', session: first.body.session } })).status);
  }
  t.deepEqual(statuses, [200, 200, 429]);
  t.is((await s.request('GET', '/_matrix/client/v1/register/m.login.registration_token/validity?token=x')).status, 429);
});

test('per-user limits behind requireAuth: the burst of one user does not limit another', async (t) => {
  const limiter = new RateLimiter({ perSecond: 0.01, burst: 2 });
  const authenticate = async (token: string) => ({ userId: `@${token}:hs.test`, deviceId: 'D', isAdmin: false });
  const { url } = await startStack(t, (router) => {
    router.post('/_test/send', requireAuth(authenticate), rateLimit(limiter, byUser), (ctx) => {
      ctx.body = {};
    });
  });
  const send = (who: string) => fetch(`${url}/_test/send`, { method: 'POST', headers: { Authorization: `Bearer ${who}` } });
  t.deepEqual([(await send('a')).status, (await send('a')).status, (await send('a')).status], [200, 200, 429]);
  t.is((await send('b')).status, 200);
  const limited = await send('a');
  t.is(((await limited.json()) as { errcode: string }).errcode, 'M_LIMIT_EXCEEDED');
  t.truthy(limited.headers.get('retry-after'));
});
