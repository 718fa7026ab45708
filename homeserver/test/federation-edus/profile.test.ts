import test from 'ava';
import { C, enc, newUser, startServers, type FederationNetwork } from './helpers.js';

let fed: FederationNetwork;
test.before(async () => {
  fed = await startServers(['hs1.test', 'hs2.test', 'hs3.test']);
});
test.after.always(() => fed?.close());

test('a remote user\'s profile is asked of their server: all fields, one field, unknown users and fields', async (t) => {
  const alice = await newUser(fed.server('hs1.test'), 'alice');
  await alice.call('PUT', `${C}/profile/${enc(alice.userId)}/displayname`, { displayname: 'Alice of hs1' });
  await alice.call('PUT', `${C}/profile/${enc(alice.userId)}/m.tz`, { 'm.tz': 'Europe/Paris' });
  const bob = await newUser(fed.server('hs2.test'), 'bob');
  const p = `${C}/profile/${enc(alice.userId)}`;

  const all = await bob.call('GET', p);
  t.is(all.status, 200, JSON.stringify(all.body));
  t.deepEqual(all.body, { displayname: 'Alice of hs1', 'm.tz': 'Europe/Paris' });
  t.deepEqual((await bob.call('GET', `${p}/displayname`)).body, { displayname: 'Alice of hs1' });
  const noAvatar = await bob.call('GET', `${p}/avatar_url`);
  t.is(noAvatar.status, 404);
  t.is(noAvatar.body.errcode, 'M_NOT_FOUND');

  const nobody = await bob.call('GET', `${C}/profile/${enc('@nobody:hs1.test')}`);
  t.is(nobody.status, 404);
  t.is(nobody.body.errcode, 'M_NOT_FOUND');
  t.is((await bob.call('GET', `${C}/profile/${enc('@nobody:hs1.test')}/displayname`)).status, 404);
});

test('a remote profile is reused for a while; a server that does not answer gives 404', async (t) => {
  const alice = await newUser(fed.server('hs1.test'), 'alice');
  await alice.call('PUT', `${C}/profile/${enc(alice.userId)}/displayname`, { displayname: 'First' });
  const bob = await newUser(fed.server('hs2.test'), 'bob');
  const p = `${C}/profile/${enc(alice.userId)}/displayname`;
  t.deepEqual((await bob.call('GET', p)).body, { displayname: 'First' });
  await alice.call('PUT', `${C}/profile/${enc(alice.userId)}/displayname`, { displayname: 'Second' });
  t.deepEqual((await bob.call('GET', p)).body, { displayname: 'First' }, 'answered from the cache, without a request');
  t.deepEqual((await alice.call('GET', p)).body, { displayname: 'Second' }, 'her own server has the new name');

  const carol = await newUser(fed.server('hs3.test'), 'carol');
  await fed.server('hs3.test').stop();
  try {
    const res = await bob.call('GET', `${C}/profile/${enc(carol.userId)}`);
    t.is(res.status, 404);
    t.is(res.body.errcode, 'M_NOT_FOUND');
  } finally {
    await fed.server('hs3.test').start();
  }
});
