import test from 'ava';
import { C, createRoom, eventually, join, leave, login, makeCrossSigning, makeDevice, registerUser, startKeysServer, sync, upload, type TestUser } from './helpers.js';

/** device_lists of the next incremental sync from `since` (after the stream caught up). */
async function listsAfter(user: TestUser, since: string, want: (l: { changed: string[]; left: string[] }) => boolean, label: string) {
  return eventually(async () => {
    const body = await sync(user, { since, timeout: '0' });
    const lists = body.device_lists ?? { changed: [], left: [] };
    return want(lists) ? { lists, next: body.next_batch as string } : undefined;
  }, label);
}

test('device_lists: sharing a room starts with changed, ends with left, and key uploads show as changed', async (t) => {
  const s = await startKeysServer(t);
  const alice = await registerUser(s, 'alice');
  const bob = await registerUser(s, 'bob');
  const carol = await registerUser(s, 'carol');
  const room = await createRoom(alice, { preset: 'public_chat' });
  let aSince = (await sync(alice)).next_batch;
  let bSince = (await sync(bob)).next_batch;

  await join(bob, room);
  const aJoin = await listsAfter(alice, aSince, (l) => l.changed.includes(bob.userId), 'alice sees bob join');
  t.deepEqual(aJoin.lists.left, []);
  const bJoin = await listsAfter(bob, bSince, (l) => l.changed.includes(alice.userId), 'bob sees alice as a new room mate');
  t.false(bJoin.lists.changed.includes(bob.userId));
  aSince = aJoin.next;
  bSince = bJoin.next;

  // Bob's new device keys: alice (sharing a room) hears of it, carol (sharing none) does not.
  const cSince = (await sync(carol)).next_batch;
  await upload(bob, { device_keys: makeDevice(bob).keys });
  const aKeys = await listsAfter(alice, aSince, (l) => l.changed.includes(bob.userId), 'alice sees bob keys');
  aSince = aKeys.next;
  const bOwn = await listsAfter(bob, bSince, (l) => l.changed.includes(bob.userId), 'bob sees his own change');
  bSince = bOwn.next;
  const carolView = await sync(carol, { since: cSince, timeout: '0' });
  t.deepEqual(carolView.device_lists, { changed: [], left: [] });

  // A profile change is no new sharing.
  await bob.call('PUT', `${C}/profile/${encodeURIComponent(bob.userId)}/displayname`, { displayname: 'Bobby' });
  await new Promise((r) => setTimeout(r, 300));
  const quiet = await sync(alice, { since: aSince, timeout: '0' });
  t.false((quiet.device_lists?.changed ?? []).includes(bob.userId));
  aSince = quiet.next_batch;

  // Keys changes: /keys/changes says the same between the same tokens.
  const changes = await alice.call('GET', `${C}/keys/changes?from=${aJoin.next}&to=${aKeys.next}`);
  t.is(changes.status, 200);
  t.deepEqual(changes.body.changed, [bob.userId]);

  await leave(bob, room);
  const aLeft = await listsAfter(alice, aSince, (l) => l.left.includes(bob.userId), 'alice sees bob leave');
  t.false(aLeft.lists.changed.includes(bob.userId));
  const bLeft = await listsAfter(bob, bSince, (l) => l.left.includes(alice.userId), 'bob no longer shares a room with alice');
  t.false(bLeft.lists.left.includes(bob.userId));

  // After leaving, bob's key changes no longer reach alice.
  const phone = await login(s, bob);
  await upload(phone, { device_keys: makeDevice(phone).keys });
  await new Promise((r) => setTimeout(r, 300));
  const after = await sync(alice, { since: aLeft.next, timeout: '0' });
  t.false((after.device_lists?.changed ?? []).includes(bob.userId));

  for (const q of ['', '?from=s1', '?to=s1', '?from=bad&to=s1']) {
    const res = await alice.call('GET', `${C}/keys/changes${q}`);
    t.is(res.status, 400, q);
  }
});

test('device_lists: someone still sharing another room is not left; deleting a device and new cross-signing keys are changes', async (t) => {
  const s = await startKeysServer(t);
  const alice = await registerUser(s, 'alice');
  const bob = await registerUser(s, 'bob');
  const r1 = await createRoom(alice, { preset: 'public_chat' });
  const r2 = await createRoom(alice, { preset: 'public_chat' });
  await join(bob, r1);
  await join(bob, r2);
  const phone = await login(s, bob);
  await upload(phone, { device_keys: makeDevice(phone).keys });
  let since = (await sync(alice)).next_batch;
  await new Promise((r) => setTimeout(r, 200));
  since = (await sync(alice, { since, timeout: '0' })).next_batch;

  await leave(bob, r1);
  await new Promise((r) => setTimeout(r, 300));
  const still = await sync(alice, { since, timeout: '0' });
  t.false((still.device_lists?.left ?? []).includes(bob.userId), 'they still share r2');
  since = still.next_batch;

  const del = await phone.call('DELETE', `${C}/devices/${phone.deviceId}`, {});
  const uia = await phone.call('DELETE', `${C}/devices/${phone.deviceId}`, {
    auth: { type: 'm.login.password', identifier: { type: 'm.id.user', user: bob.userId }, password: 'correct horse battery staple', session: del.body.session },
  });
  t.is(uia.status, 200);
  const deleted = await listsAfter(alice, since, (l) => l.changed.includes(bob.userId), 'device deletion');
  since = deleted.next;

  const cs = makeCrossSigning(bob.userId);
  t.is((await bob.call('POST', `${C}/keys/device_signing/upload`, { master_key: cs.masterKey, self_signing_key: cs.sskKey, user_signing_key: cs.uskKey })).status, 200);
  await listsAfter(alice, since, (l) => l.changed.includes(bob.userId), 'cross-signing keys');
});

test('a waiting sync wakes when someone in a shared room uploads keys', async (t) => {
  const s = await startKeysServer(t);
  const alice = await registerUser(s, 'alice');
  const bob = await registerUser(s, 'bob');
  const room = await createRoom(alice, { preset: 'public_chat' });
  await join(bob, room);
  await new Promise((r) => setTimeout(r, 300));
  let since = (await sync(alice)).next_batch;
  since = (await sync(alice, { since, timeout: '0' })).next_batch;
  const started = Date.now();
  const waiting = sync(alice, { since, timeout: '20000' });
  await new Promise((r) => setTimeout(r, 300));
  await upload(bob, { device_keys: makeDevice(bob).keys });
  const body = await waiting;
  t.true(Date.now() - started < 10_000);
  t.deepEqual(body.device_lists.changed, [bob.userId]);
});
