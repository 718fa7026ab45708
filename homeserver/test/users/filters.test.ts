import test from 'ava';
import { C, createUser, enc, startUsersServer } from './helpers.js';

test('filters: create and read back; other users 403; unknown 404; bad types 400', async (t) => {
  const s = await startUsersServer(t);
  const alice = await createUser(s, 'alice');
  const bob = await createUser(s, 'bob');
  const base = `${C}/user/${enc(alice.userId)}/filter`;
  const filter = {
    event_fields: ['type', 'content.body'],
    event_format: 'client',
    presence: { not_types: ['*'] },
    room: { timeline: { limit: 20, lazy_load_members: true, types: ['m.room.message'] }, state: { lazy_load_members: true }, include_leave: false },
    'org.example.extension': true,
  };
  const created = await s.as(alice.accessToken, 'POST', base, filter);
  t.is(created.status, 200);
  t.is(typeof created.body.filter_id, 'string');
  t.false(created.body.filter_id.startsWith('{'));
  t.deepEqual((await s.as(alice.accessToken, 'GET', `${base}/${created.body.filter_id}`)).body, filter);
  t.not((await s.as(alice.accessToken, 'POST', base, {})).body.filter_id, created.body.filter_id);

  t.is((await s.as(bob.accessToken, 'GET', `${base}/${created.body.filter_id}`)).status, 403);
  t.is((await s.as(bob.accessToken, 'POST', base, {})).status, 403);
  // Bob's own view of the ID: not his filter.
  t.is((await s.as(bob.accessToken, 'GET', `${C}/user/${enc(bob.userId)}/filter/${created.body.filter_id}`)).status, 404);
  for (const id of ['999999', 'abc', '{}']) {
    const res = await s.as(alice.accessToken, 'GET', `${base}/${enc(id)}`);
    t.is(res.status, 404, id);
    t.is(res.body.errcode, 'M_NOT_FOUND');
  }
  for (const bad of [{ event_format: 'xml' }, { room: { timeline: { limit: 'ten' } } }, { room: { rooms: '!a:b' } }, { presence: { limit: -1 } }, { event_fields: 'type' }]) {
    const res = await s.as(alice.accessToken, 'POST', base, bad);
    t.is(res.status, 400, JSON.stringify(bad));
    t.is(res.body.errcode, 'M_BAD_JSON');
  }
  t.is((await s.request('POST', base, {})).status, 401);
});
