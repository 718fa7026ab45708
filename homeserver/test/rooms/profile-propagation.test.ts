import test from 'ava';
import { registerUser } from '../helpers/client.js';
import { startTestServer } from '../helpers/server.js';

const r = (roomId: string) => `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}`;

test('a profile change is sent as a membership update into every joined room', async (t) => {
  const s = await startTestServer(t, { HS_OPEN_REGISTRATION: '1' });
  const alice = await registerUser(s, 'alice');
  const rooms = await Promise.all([0, 1].map(async () => (await alice.call('POST', '/_matrix/client/v3/createRoom', {})).body.room_id as string));
  const left = (await alice.call('POST', '/_matrix/client/v3/createRoom', {})).body.room_id as string;
  await alice.call('POST', `${r(left)}/leave`, {});
  t.is((await alice.call('PUT', `/_matrix/client/v3/profile/${encodeURIComponent(alice.userId)}/displayname`, { displayname: 'Alice A.' })).status, 200);
  t.is((await alice.call('PUT', `/_matrix/client/v3/profile/${encodeURIComponent(alice.userId)}/avatar_url`, { avatar_url: 'mxc://hs.test/abc' })).status, 200);
  for (const room of rooms) {
    const member = await alice.call('GET', `${r(room)}/state/m.room.member/${encodeURIComponent(alice.userId)}`);
    t.is(member.body.membership, 'join');
    t.is(member.body.displayname, 'Alice A.');
    t.is(member.body.avatar_url, 'mxc://hs.test/abc');
  }
  const gone = await alice.call('GET', `${r(left)}/state/m.room.member/${encodeURIComponent(alice.userId)}`);
  t.is(gone.body.membership, 'leave');
  t.not(gone.body.displayname, 'Alice A.', 'rooms the user left are not touched');
});

test('deactivation leaves every room and rejects pending invites', async (t) => {
  const s = await startTestServer(t, { HS_OPEN_REGISTRATION: '1' });
  const alice = await registerUser(s, 'alice');
  const bob = await registerUser(s, 'bob', 'bobs long password');
  const joined = (await alice.call('POST', '/_matrix/client/v3/createRoom', { preset: 'public_chat' })).body.room_id as string;
  await bob.call('POST', `${r(joined)}/join`, {});
  const invited = (await alice.call('POST', '/_matrix/client/v3/createRoom', { invite: [bob.userId] })).body.room_id as string;
  const first = await bob.call('POST', '/_matrix/client/v3/account/deactivate', {});
  t.is(first.status, 401);
  const done = await bob.call('POST', '/_matrix/client/v3/account/deactivate', {
    auth: { type: 'm.login.password', identifier: { type: 'm.id.user', user: bob.userId }, password: 'bobs long password', session: first.body.session },
  });
  t.is(done.status, 200, JSON.stringify(done.body));
  for (const room of [joined, invited]) {
    const member = await alice.call('GET', `${r(room)}/state/m.room.member/${encodeURIComponent(bob.userId)}`);
    t.is(member.body.membership, 'leave', room);
  }
});
