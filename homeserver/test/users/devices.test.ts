import test from 'ava';
import { C, createUser, passwordAuth, startUsersServer } from './helpers.js';

test('list, get and rename devices; unknown devices are 404', async (t) => {
  const s = await startUsersServer(t);
  const alice = await createUser(s, 'alice');
  const list = await s.as(alice.accessToken, 'GET', `${C}/devices`);
  t.is(list.status, 200);
  t.is(list.body.devices.length, 1);
  const d = list.body.devices[0];
  t.is(d.device_id, alice.deviceId);
  t.is(typeof d.last_seen_ts, 'number', 'the listing request itself is activity');
  t.is(d.last_seen_ip, '127.0.0.1');

  t.deepEqual((await s.as(alice.accessToken, 'PUT', `${C}/devices/${alice.deviceId}`, { display_name: 'Work laptop' })).body, {});
  const one = await s.as(alice.accessToken, 'GET', `${C}/devices/${alice.deviceId}`);
  t.is(one.body.display_name, 'Work laptop');

  for (const [method, body] of [['GET', undefined], ['PUT', { display_name: 'x' }]] as const) {
    const res = await s.as(alice.accessToken, method, `${C}/devices/NOPE`, body);
    t.is(res.status, 404, method);
    t.is(res.body.errcode, 'M_NOT_FOUND');
  }
  const wrongType = await s.as(alice.accessToken, 'PUT', `${C}/devices/${alice.deviceId}`, { display_name: 5 });
  t.is(wrongType.body.errcode, 'M_BAD_JSON');
  t.is((await s.request('GET', `${C}/devices`)).body.errcode, 'M_MISSING_TOKEN');

  // Another user's device is not found, not shown.
  const bob = await createUser(s, 'bob');
  t.is((await s.as(bob.accessToken, 'GET', `${C}/devices/${alice.deviceId}`)).status, 404);
});

test('deleting a device needs the password (UIA) and ends its access and refresh tokens', async (t) => {
  const s = await startUsersServer(t);
  const alice = await createUser(s, 'alice');
  const phone = (await s.request('POST', `${C}/login`, { type: 'm.login.password', user: 'alice', password: alice.password, refresh_token: true, device_id: 'PHONE' })).body;

  const first = await s.as(alice.accessToken, 'DELETE', `${C}/devices/PHONE`);
  t.is(first.status, 401);
  t.deepEqual(first.body.flows, [{ stages: ['m.login.password'] }]);
  t.is(first.body.errcode, undefined);

  const wrong = await s.as(alice.accessToken, 'DELETE', `${C}/devices/PHONE`, { auth: passwordAuth(alice, first.body.session, 'wrong') });
  t.is(wrong.status, 401);
  t.is(wrong.body.errcode, 'M_FORBIDDEN');
  t.is(wrong.body.session, first.body.session);

  // Someone else's password does not do.
  const bob = await createUser(s, 'bob');
  const asBob = await s.as(alice.accessToken, 'DELETE', `${C}/devices/PHONE`, { auth: passwordAuth(bob, first.body.session) });
  t.is(asBob.status, 401);
  t.is((await s.as(phone.access_token, 'GET', `${C}/account/whoami`)).status, 200);

  const ok = await s.as(alice.accessToken, 'DELETE', `${C}/devices/PHONE`, { auth: passwordAuth(alice, first.body.session) });
  t.is(ok.status, 200, JSON.stringify(ok.body));
  t.is((await s.as(phone.access_token, 'GET', `${C}/account/whoami`)).body.errcode, 'M_UNKNOWN_TOKEN');
  t.is((await s.request('POST', `${C}/refresh`, { refresh_token: phone.refresh_token })).status, 401);
  t.deepEqual((await s.as(alice.accessToken, 'GET', `${C}/devices`)).body.devices.map((d: any) => d.device_id), [alice.deviceId]);
});

test('POST /delete_devices deletes several; the session is bound to the device list', async (t) => {
  const s = await startUsersServer(t);
  const alice = await createUser(s, 'alice');
  const loginAs = async (device: string) =>
    (await s.request('POST', `${C}/login`, { type: 'm.login.password', user: 'alice', password: alice.password, device_id: device })).body.access_token as string;
  const a = await loginAs('A');
  const b = await loginAs('B');
  const first = await s.as(alice.accessToken, 'POST', `${C}/delete_devices`, { devices: ['A', 'B'] });
  t.is(first.status, 401);
  const otherList = await s.as(alice.accessToken, 'POST', `${C}/delete_devices`, { devices: ['A', 'B', alice.deviceId], auth: passwordAuth(alice, first.body.session) });
  t.is(otherList.status, 403, 'a session started for A and B cannot delete more');
  const ok = await s.as(alice.accessToken, 'POST', `${C}/delete_devices`, { devices: ['A', 'B'], auth: passwordAuth(alice, first.body.session) });
  t.is(ok.status, 200);
  t.is((await s.as(a, 'GET', `${C}/account/whoami`)).status, 401);
  t.is((await s.as(b, 'GET', `${C}/account/whoami`)).status, 401);
  t.is((await s.as(alice.accessToken, 'GET', `${C}/account/whoami`)).status, 200);
  const missing = await s.as(alice.accessToken, 'POST', `${C}/delete_devices`, {});
  t.is(missing.status, 400);
  t.is(missing.body.errcode, 'M_BAD_JSON');
});
