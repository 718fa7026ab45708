import test from 'ava';
import { startTestServer } from '../helpers/server.js';

test('GET /_matrix/client/versions lists spec versions up to v1.16', async (t) => {
  const s = await startTestServer(t);
  const res = await s.request('GET', '/_matrix/client/versions');
  t.is(res.status, 200);
  t.true(res.body.versions.includes('v1.1'));
  t.true(res.body.versions.includes('v1.16'));
  t.deepEqual(res.body.unstable_features, {});
  t.is(res.headers.get('access-control-allow-origin'), '*');
});

test('GET /.well-known/matrix/client points at the public base URL', async (t) => {
  const s = await startTestServer(t, { HS_PUBLIC_BASEURL: 'https://matrix.example.org' });
  const res = await s.request('GET', '/.well-known/matrix/client');
  t.is(res.status, 200);
  t.deepEqual(res.body, { 'm.homeserver': { base_url: 'https://matrix.example.org' } });
});

test('the real server answers unknown paths and wrong methods with Matrix errors', async (t) => {
  const s = await startTestServer(t);
  const unknown = await s.request('GET', '/_matrix/client/v3/not-an-endpoint');
  t.is(unknown.status, 404);
  t.is(unknown.body.errcode, 'M_UNRECOGNIZED');
  const wrongMethod = await s.request('POST', '/_matrix/client/versions', {});
  t.is(wrongMethod.status, 405);
  t.is(wrongMethod.body.errcode, 'M_UNRECOGNIZED');
});
