import test from 'ava';
import { C, createUser, enc, startUsersServer } from './helpers.js';

test('profile fields: set, read one and all, delete', async (t) => {
  const s = await startUsersServer(t);
  const alice = await createUser(s, 'alice');
  const p = `${C}/profile/${enc(alice.userId)}`;
  t.deepEqual((await s.request('GET', p)).body, { displayname: 'alice' });

  t.deepEqual((await s.as(alice.accessToken, 'PUT', `${p}/displayname`, { displayname: 'Alice A.' })).body, {});
  t.is((await s.as(alice.accessToken, 'PUT', `${p}/avatar_url`, { avatar_url: 'mxc://hs.test/abc123' })).status, 200);
  t.is((await s.as(alice.accessToken, 'PUT', `${p}/m.tz`, { 'm.tz': 'Europe/Berlin' })).status, 200);
  t.is((await s.as(alice.accessToken, 'PUT', `${p}/org.example.pronouns`, { 'org.example.pronouns': { en: ['she', 'her'] } })).status, 200);

  t.deepEqual((await s.request('GET', `${p}/displayname`)).body, { displayname: 'Alice A.' });
  t.deepEqual((await s.request('GET', p)).body, {
    displayname: 'Alice A.',
    avatar_url: 'mxc://hs.test/abc123',
    'm.tz': 'Europe/Berlin',
    'org.example.pronouns': { en: ['she', 'her'] },
  });

  t.deepEqual((await s.as(alice.accessToken, 'DELETE', `${p}/org.example.pronouns`)).body, {});
  const gone = await s.request('GET', `${p}/org.example.pronouns`);
  t.is(gone.status, 404);
  t.is(gone.body.errcode, 'M_NOT_FOUND');
  t.is((await s.as(alice.accessToken, 'DELETE', `${p}/org.example.never_set`)).status, 200);
  // An empty display name removes it.
  await s.as(alice.accessToken, 'PUT', `${p}/displayname`, { displayname: '' });
  t.is((await s.request('GET', `${p}/displayname`)).status, 404);
});

test('profile errors: unknown users, other users, bad keys and values, size limits', async (t) => {
  const s = await startUsersServer(t);
  const alice = await createUser(s, 'alice');
  const bob = await createUser(s, 'bob');
  const p = `${C}/profile/${enc(alice.userId)}`;

  for (const who of ['@nobody:hs.test', '@alice:elsewhere.test']) {
    const res = await s.request('GET', `${C}/profile/${enc(who)}`);
    t.is(res.status, 404, who);
    t.is(res.body.errcode, 'M_NOT_FOUND');
    t.is((await s.request('GET', `${C}/profile/${enc(who)}/displayname`)).status, 404);
  }

  const notOwner = await s.as(bob.accessToken, 'PUT', `${p}/displayname`, { displayname: 'Mallory' });
  t.is(notOwner.status, 403);
  t.is(notOwner.body.errcode, 'M_FORBIDDEN');
  t.is((await s.as(bob.accessToken, 'DELETE', `${p}/displayname`)).status, 403);
  t.is((await s.request('PUT', `${p}/displayname`, { displayname: 'x' })).body.errcode, 'M_MISSING_TOKEN');

  const cases: Array<[string, unknown, number, string]> = [
    ['displayname', { displayname: 5 }, 400, 'M_BAD_JSON'],
    ['displayname', { other: 'x' }, 400, 'M_MISSING_PARAM'],
    ['displayname', { displayname: 'x'.repeat(300) }, 400, 'M_INVALID_PARAM'],
    ['avatar_url', { avatar_url: 'https://example.org/a.png' }, 400, 'M_INVALID_PARAM'],
    ['avatar_url', { avatar_url: ['mxc://a/b'] }, 400, 'M_BAD_JSON'],
    ['m.tz', { 'm.tz': 3 }, 400, 'M_BAD_JSON'],
    ['NotNamespaced', { NotNamespaced: 1 }, 400, 'M_INVALID_PARAM'],
    ['plain', { plain: 1 }, 400, 'M_INVALID_PARAM'],
    [`org.${'a'.repeat(260)}`, { x: 1 }, 400, 'M_KEY_TOO_LARGE'],
    ['org.example.big', { 'org.example.big': 'x'.repeat(70 * 1024) }, 400, 'M_PROFILE_TOO_LARGE'],
  ];
  for (const [key, body, status, errcode] of cases) {
    const res = await s.as(alice.accessToken, 'PUT', `${p}/${key}`, body);
    t.is(res.status, status, key);
    t.is(res.body.errcode, errcode, key);
  }
  t.is((await s.as(alice.accessToken, 'PUT', `${p}/displayname`, '[1]')).body.errcode, 'M_BAD_JSON');

  // 64 KiB is for the whole profile: two fields that fit alone do not fit together.
  t.is((await s.as(alice.accessToken, 'PUT', `${p}/org.example.one`, { 'org.example.one': 'x'.repeat(40 * 1024) })).status, 200);
  const tooMuch = await s.as(alice.accessToken, 'PUT', `${p}/org.example.two`, { 'org.example.two': 'x'.repeat(40 * 1024) });
  t.is(tooMuch.body.errcode, 'M_PROFILE_TOO_LARGE');
  t.deepEqual(Object.keys((await s.request('GET', p)).body).sort(), ['displayname', 'org.example.one']);
});
