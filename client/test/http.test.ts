import test from 'ava';
import { ConnectionError, MatrixError } from '../src/matrix/errors';
import { HttpClient, type FetchLike } from '../src/matrix/http';
import { MatrixApi } from '../src/matrix/api';
import { messageSearchCriteria } from '../src/matrix/server-search';

function fakeFetch(responses: Array<{ status: number; body: unknown } | Error>): { fetch: FetchLike; calls: Array<{ url: string; init: RequestInit | undefined }> } {
  const calls: Array<{ url: string; init: RequestInit | undefined }> = [];
  return {
    calls,
    fetch: (url, init) => {
      calls.push({ url, init });
      const r = responses.shift();
      if (!r) throw new Error('no more responses');
      if (r instanceof Error) return Promise.reject(r);
      return Promise.resolve(new Response(JSON.stringify(r.body), { status: r.status, headers: { 'content-type': 'application/json' } }));
    },
  };
}

test('JSON in and out, with the token, query and encoded path', async (t) => {
  const f = fakeFetch([{ status: 200, body: { ok: 1 } }]);
  const http = new HttpClient({ baseUrl: 'https://hs.example/', accessToken: 'tok', fetch: f.fetch });
  t.deepEqual(await http.request('POST', '/x', { body: { a: 1 }, query: { since: 's 1', unused: undefined } }), { ok: 1 });
  t.is(f.calls[0]!.url, 'https://hs.example/x?since=s+1');
  const headers = f.calls[0]!.init!.headers as Record<string, string>;
  t.is(headers.Authorization, 'Bearer tok');
  t.is(f.calls[0]!.init!.body, '{"a":1}');
});

test('errors become MatrixError with errcode and body', async (t) => {
  const f = fakeFetch([{ status: 403, body: { errcode: 'M_FORBIDDEN', error: 'No', extra: 1 } }]);
  const http = new HttpClient({ baseUrl: 'https://hs', fetch: f.fetch });
  const err = await t.throwsAsync(http.request('GET', '/x'), { instanceOf: MatrixError });
  t.is(err?.errcode, 'M_FORBIDDEN');
  t.is(err?.message, 'No');
  t.is(err?.body.extra, 1);
});

test('429 is retried after retry_after_ms, then gives up', async (t) => {
  const waits: number[] = [];
  const limited = { status: 429, body: { errcode: 'M_LIMIT_EXCEEDED', error: 'slow', retry_after_ms: 120 } };
  const f = fakeFetch([limited, limited, { status: 200, body: {} }]);
  const http = new HttpClient({ baseUrl: 'https://hs', fetch: f.fetch, sleep: (ms) => (waits.push(ms), Promise.resolve()) });
  t.deepEqual(await http.request('GET', '/x'), {});
  t.deepEqual(waits, [120, 120]);
  const g = fakeFetch([limited, limited]);
  const http2 = new HttpClient({ baseUrl: 'https://hs', fetch: g.fetch, sleep: () => Promise.resolve() });
  const err = await t.throwsAsync(http2.request('GET', '/x', { maxRetries: 1 }), { instanceOf: MatrixError });
  t.is(err?.retryAfterMs, 120);
});

test('network failures are ConnectionError; a refused token is reported once', async (t) => {
  let loggedOut = 0;
  const f = fakeFetch([new TypeError('Failed to fetch'), { status: 401, body: { errcode: 'M_UNKNOWN_TOKEN', error: 'gone' } }]);
  const http = new HttpClient({ baseUrl: 'https://hs', fetch: f.fetch, onUnknownToken: () => loggedOut++ });
  await t.throwsAsync(http.request('GET', '/x'), { instanceOf: ConnectionError });
  await t.throwsAsync(http.request('GET', '/x'), { instanceOf: MatrixError });
  t.is(loggedOut, 1);
});

test('registration walks user-interactive auth with the registration token', async (t) => {
  const f = fakeFetch([
    { status: 401, body: { session: 'S', flows: [{ stages: ['m.login.registration_token'] }] } },
    { status: 200, body: { user_id: '@a:hs', access_token: 'T', device_id: 'D' } },
  ]);
  const api = new MatrixApi(new HttpClient({ baseUrl: 'https://hs', fetch: f.fetch }));
  const res = await api.register({ username: 'a', password: 'pw', registrationToken: 'tok' });
  t.is(res.access_token, 'T');
  const body = JSON.parse(String(f.calls[1]!.init!.body)) as { auth: unknown; username: string };
  t.deepEqual(body.auth, { type: 'm.login.registration_token', token: 'tok', session: 'S' });
  t.is(body.username, 'a');
});

test('registration without a token needs open registration', async (t) => {
  const f = fakeFetch([{ status: 401, body: { session: 'S', flows: [{ stages: ['m.login.registration_token'] }] } }]);
  const api = new MatrixApi(new HttpClient({ baseUrl: 'https://hs', fetch: f.fetch }));
  const err = await t.throwsAsync(api.register({ username: 'a', password: 'pw' }), { instanceOf: MatrixError });
  t.regex(err!.message, /registration token/);
});

test('directory, knock, relations, search and push rule requests have the spec’s shapes', async (t) => {
  const f = fakeFetch(Array.from({ length: 9 }, () => ({ status: 200, body: { chunk: [] } })));
  const api = new MatrixApi(new HttpClient({ baseUrl: 'https://hs', accessToken: 't', fetch: f.fetch }));
  await api.publicRooms({ term: 'garden', since: 'p1' });
  await api.knock('!r:hs', 'let me in');
  await api.setRoomVisibility('!r:hs', 'public');
  await api.relations('!r:hs', '$root', 'm.thread', { limit: 10 });
  await api.setPushRule('override', '!r:hs', { conditions: [], actions: [] });
  await api.deletePushRule('override', '!r:hs');
  await api.join('!r:hs', ['hs', 'other.example']);
  await api.search(messageSearchCriteria('lunch', ['!r:hs']));
  await api.search(messageSearchCriteria('lunch'), 'b1');
  const call = (i: number) => ({ url: f.calls[i]!.url, method: f.calls[i]!.init?.method, body: f.calls[i]!.init?.body ? JSON.parse(String(f.calls[i]!.init!.body)) : undefined });
  t.deepEqual(call(0), { url: 'https://hs/_matrix/client/v3/publicRooms', method: 'POST', body: { limit: 30, since: 'p1', filter: { generic_search_term: 'garden' } } });
  t.deepEqual(call(1), { url: 'https://hs/_matrix/client/v3/knock/!r%3Ahs', method: 'POST', body: { reason: 'let me in' } });
  t.deepEqual(call(2), { url: 'https://hs/_matrix/client/v3/directory/list/room/!r%3Ahs', method: 'PUT', body: { visibility: 'public' } });
  t.deepEqual(call(3), { url: 'https://hs/_matrix/client/v1/rooms/!r%3Ahs/relations/%24root/m.thread?limit=10&dir=b', method: 'GET', body: undefined });
  t.deepEqual(call(4), { url: 'https://hs/_matrix/client/v3/pushrules/global/override/!r%3Ahs', method: 'PUT', body: { conditions: [], actions: [] } });
  t.like(call(5), { url: 'https://hs/_matrix/client/v3/pushrules/global/override/!r%3Ahs', method: 'DELETE' });
  t.is(call(6).url, 'https://hs/_matrix/client/v3/join/!r%3Ahs?via=hs%2Cother.example');
  t.deepEqual(call(7), {
    url: 'https://hs/_matrix/client/v3/search',
    method: 'POST',
    body: { search_categories: { room_events: { search_term: 'lunch', keys: ['content.body'], order_by: 'recent', filter: { limit: 20, types: ['m.room.message'], rooms: ['!r:hs'] } } } },
  });
  t.is(call(8).url, 'https://hs/_matrix/client/v3/search?next_batch=b1');
});

test('uploads report their progress and return the content URI', async (t) => {
  const f = fakeFetch([{ status: 200, body: { content_uri: 'mxc://hs/abc' } }, { status: 413, body: { errcode: 'M_TOO_LARGE', error: 'Too big' } }]);
  const api = new MatrixApi(new HttpClient({ baseUrl: 'https://hs', accessToken: 't', fetch: f.fetch }));
  const seen: number[] = [];
  t.is(await api.upload(new Blob(['hello'], { type: 'text/plain' }), 'a b.txt', (p) => seen.push(p)), 'mxc://hs/abc');
  t.deepEqual(seen, [1]);
  t.is(f.calls[0]!.url, 'https://hs/_matrix/media/v3/upload?filename=a+b.txt');
  t.is((f.calls[0]!.init!.headers as Record<string, string>)['Content-Type'], 'text/plain');
  await t.throwsAsync(api.upload(new Blob(['x']), 'x'), { instanceOf: MatrixError, message: 'Too big' });
});
