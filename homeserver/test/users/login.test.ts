import test from 'ava';
import { generateKeyPairSync } from 'node:crypto';
import { SignJWT } from 'jose';
import { C, createUser, startUsersServer } from './helpers.js';

const JWT_SECRET = 'jwt-test-secret-that-is-long-enough';

const login = (body: Record<string, unknown>) => ({ type: 'm.login.password', ...body });

test('GET /login lists password login, and JWT only when configured', async (t) => {
  const s = await startUsersServer(t);
  t.deepEqual((await s.request('GET', `${C}/login`)).body, { flows: [{ type: 'm.login.password' }] });
  const j = await startUsersServer(t, { HS_JWT_SECRET: JWT_SECRET });
  t.deepEqual((await j.request('GET', `${C}/login`)).body, { flows: [{ type: 'm.login.password' }, { type: 'org.matrix.login.jwt' }] });
});

test('password login by user ID, localpart, or the deprecated user field', async (t) => {
  const s = await startUsersServer(t);
  const alice = await createUser(s, 'alice', { password: 'secret-1' });
  for (const body of [
    { identifier: { type: 'm.id.user', user: '@alice:hs.test' }, password: 'secret-1' },
    { identifier: { type: 'm.id.user', user: 'alice' }, password: 'secret-1' },
    { identifier: { type: 'm.id.user', user: 'ALICE' }, password: 'secret-1' },
    { user: 'alice', password: 'secret-1' },
  ]) {
    const res = await s.request('POST', `${C}/login`, login(body));
    t.is(res.status, 200, JSON.stringify(body));
    t.is(res.body.user_id, alice.userId);
    t.regex(res.body.device_id, /^[A-Z]{10}$/);
    t.is(res.body.expires_in_ms, undefined);
    t.is((await s.as(res.body.access_token, 'GET', `${C}/account/whoami`)).body.device_id, res.body.device_id);
  }
  const devices = await s.as(alice.accessToken, 'GET', `${C}/devices`);
  t.is(devices.body.devices.length, 5);
});

test('failed logins: wrong password, unknown user, other server, 3PID, bad input', async (t) => {
  const s = await startUsersServer(t);
  await createUser(s, 'alice', { password: 'secret-1' });
  const cases: Array<[Record<string, unknown>, number, string]> = [
    [login({ user: 'alice', password: 'wrong' }), 403, 'M_FORBIDDEN'],
    [login({ user: 'nobody', password: 'secret-1' }), 403, 'M_FORBIDDEN'],
    [login({ identifier: { type: 'm.id.user', user: '@alice:elsewhere.test' }, password: 'secret-1' }), 403, 'M_FORBIDDEN'],
    [login({ identifier: { type: 'm.id.thirdparty', medium: 'email', address: 'a@b.c' }, password: 'secret-1' }), 403, 'M_FORBIDDEN'],
    [login({ user: 'alice' }), 400, 'M_MISSING_PARAM'],
    [login({ password: 'secret-1' }), 400, 'M_MISSING_PARAM'],
    [login({ user: 'alice', password: 12 }), 400, 'M_BAD_JSON'],
    [{ user: 'alice', password: 'secret-1' }, 400, 'M_BAD_JSON'],
    [{ type: 'm.login.token', token: 'x' }, 400, 'M_UNKNOWN'],
    [{ type: 'org.matrix.login.jwt', token: 'x' }, 400, 'M_UNKNOWN'],
  ];
  for (const [body, status, errcode] of cases) {
    const res = await s.request('POST', `${C}/login`, body);
    t.is(res.status, status, JSON.stringify(body));
    t.is(res.body.errcode, errcode, JSON.stringify(body));
  }
});

test('logging in again with a known device_id replaces its old token', async (t) => {
  const s = await startUsersServer(t);
  await createUser(s, 'alice', { password: 'pw' });
  const a = await s.request('POST', `${C}/login`, login({ user: 'alice', password: 'pw', device_id: 'LAPTOP', initial_device_display_name: 'Laptop' }));
  const b = await s.request('POST', `${C}/login`, login({ user: 'alice', password: 'pw', device_id: 'LAPTOP', initial_device_display_name: 'ignored' }));
  t.is(b.body.device_id, 'LAPTOP');
  t.is((await s.as(a.body.access_token, 'GET', `${C}/account/whoami`)).status, 401);
  t.is((await s.as(b.body.access_token, 'GET', `${C}/devices/LAPTOP`)).body.display_name, 'Laptop');
});

test('logout ends the session and deletes its device; logout/all ends every one', async (t) => {
  const s = await startUsersServer(t);
  const alice = await createUser(s, 'alice', { password: 'pw' });
  const second = (await s.request('POST', `${C}/login`, login({ user: 'alice', password: 'pw' }))).body;
  const third = (await s.request('POST', `${C}/login`, login({ user: 'alice', password: 'pw' }))).body;

  t.deepEqual((await s.as(second.access_token, 'POST', `${C}/logout`)).body, {});
  const after = await s.as(second.access_token, 'GET', `${C}/account/whoami`);
  t.is(after.status, 401);
  t.is(after.body.errcode, 'M_UNKNOWN_TOKEN');
  const ids = (await s.as(alice.accessToken, 'GET', `${C}/devices`)).body.devices.map((d: any) => d.device_id).sort();
  t.deepEqual(ids, [alice.deviceId, third.device_id].sort());

  t.is((await s.as(third.access_token, 'POST', `${C}/logout/all`)).status, 200);
  t.is((await s.as(alice.accessToken, 'GET', `${C}/account/whoami`)).status, 401);
  t.is((await s.as(third.access_token, 'GET', `${C}/account/whoami`)).status, 401);
  t.is((await s.request('POST', `${C}/logout`)).body.errcode, 'M_MISSING_TOKEN');
});

test('JWT login (HS256): valid creates the user, expired and wrongly signed are 403', async (t) => {
  const s = await startUsersServer(t, { HS_JWT_SECRET: JWT_SECRET });
  const key = new TextEncoder().encode(JWT_SECRET);
  const sign = (claims: Record<string, unknown>, k: Uint8Array = key, exp: string | number = '5m') =>
    new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().setExpirationTime(exp).sign(k);

  const ok = await s.request('POST', `${C}/login`, { type: 'org.matrix.login.jwt', token: await sign({ sub: 'Jwt_User' }) });
  t.is(ok.status, 200, JSON.stringify(ok.body));
  t.is(ok.body.user_id, '@jwt_user:hs.test');
  const again = await s.request('POST', `${C}/login`, { type: 'm.login.jwt', token: await sign({ sub: 'jwt_user' }) });
  t.is(again.body.user_id, '@jwt_user:hs.test');

  const expired = await s.request('POST', `${C}/login`, { type: 'org.matrix.login.jwt', token: await sign({ sub: 'x' }, key, Math.floor(Date.now() / 1000) - 600) });
  t.is(expired.status, 403);
  t.is(expired.body.errcode, 'M_FORBIDDEN');
  t.regex(expired.body.error, /expired/);

  const forged = await s.request('POST', `${C}/login`, { type: 'org.matrix.login.jwt', token: await sign({ sub: 'admin' }, new TextEncoder().encode('not-the-secret-at-all-0000')) });
  t.is(forged.status, 403);
  t.regex(forged.body.error, /Signature verification failed/);

  for (const token of ['garbage', await sign({}), await sign({ sub: 'x', aud: 'someone' }), await sign({ sub: 'bad name' })]) {
    const res = await s.request('POST', `${C}/login`, { type: 'org.matrix.login.jwt', token });
    t.is(res.status, 403, token);
  }
  const noToken = await s.request('POST', `${C}/login`, { type: 'org.matrix.login.jwt' });
  t.is(noToken.status, 403);
});

test('JWT login (RS256 public key) with required issuer and audience', async (t) => {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const s = await startUsersServer(t, { HS_JWT_SECRET: pem, HS_JWT_ALGORITHM: 'RS256', HS_JWT_ISSUER: 'https://idp.test/', HS_JWT_AUDIENCES: 'hearth,other' });
  const sign = (claims: Record<string, unknown>) => new SignJWT(claims).setProtectedHeader({ alg: 'RS256' }).setExpirationTime('5m').sign(privateKey);
  const ok = await s.request('POST', `${C}/login`, { type: 'org.matrix.login.jwt', token: await sign({ sub: 'rsa', iss: 'https://idp.test/', aud: 'hearth' }) });
  t.is(ok.status, 200, JSON.stringify(ok.body));
  t.is(ok.body.user_id, '@rsa:hs.test');
  for (const claims of [{ sub: 'rsa', aud: 'hearth' }, { sub: 'rsa', iss: 'https://evil.test/', aud: 'hearth' }, { sub: 'rsa', iss: 'https://idp.test/' }, { sub: 'rsa', iss: 'https://idp.test/', aud: 'nope' }]) {
    const res = await s.request('POST', `${C}/login`, { type: 'org.matrix.login.jwt', token: await sign(claims) });
    t.is(res.status, 403, JSON.stringify(claims));
  }
});

test('a deactivated user cannot log in with JWT: M_USER_DEACTIVATED', async (t) => {
  const s = await startUsersServer(t, { HS_JWT_SECRET: JWT_SECRET });
  const admin = await createUser(s, 'root', { admin: true });
  await createUser(s, 'gone');
  await s.as(admin.accessToken, 'POST', `/_synapse/admin/v1/deactivate/${encodeURIComponent('@gone:hs.test')}`, {});
  const token = await new SignJWT({ sub: 'gone' }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('5m').sign(new TextEncoder().encode(JWT_SECRET));
  const res = await s.request('POST', `${C}/login`, { type: 'org.matrix.login.jwt', token });
  t.is(res.status, 403);
  t.is(res.body.errcode, 'M_USER_DEACTIVATED');
});
