import test from 'ava';
import { MatrixApi } from '../src/matrix/api';
import { HttpClient, type FetchLike } from '../src/matrix/http';
import { muteRule } from '../src/matrix/push-rules';
import { MUTE_TYPE, PushRulesState } from '../src/state/push';
import type { JsonObject } from '../src/matrix/types';

const ME = '@me:hs.test';
const ROOM = '!r:hs.test';

/** A server answering by method and path; records what it was asked. */
function server(routes: Record<string, { status: number; body: unknown }>): { fetch: FetchLike; calls: Array<{ key: string; body: unknown }> } {
  const calls: Array<{ key: string; body: unknown }> = [];
  return {
    calls,
    fetch: (url, init) => {
      const key = `${init?.method ?? 'GET'} ${new URL(url).pathname}`;
      calls.push({ key, body: init?.body ? JSON.parse(String(init.body)) : undefined });
      const r = routes[key] ?? { status: 404, body: { errcode: 'M_UNRECOGNIZED', error: 'Unrecognized request' } };
      return Promise.resolve(new Response(JSON.stringify(r.body), { status: r.status, headers: { 'content-type': 'application/json' } }));
    },
  };
}

const rulePath = `/_matrix/client/v3/pushrules/global/override/${encodeURIComponent(ROOM)}`;
const dataPath = `/_matrix/client/v3/user/${encodeURIComponent(ME)}/account_data/${MUTE_TYPE}`;

test('a room is muted with an override rule where the server takes one', async (t) => {
  const s = server({ [`PUT ${rulePath}`]: { status: 200, body: {} }, 'GET /_matrix/client/v3/pushrules/': { status: 200, body: { global: { override: [] } } } });
  const push = new PushRulesState(new MatrixApi(new HttpClient({ baseUrl: 'https://hs', fetch: s.fetch })), ME, () => ({}), () => ({}));
  await push.setMuted(ROOM, true);
  t.deepEqual(s.calls.map((c) => c.key), [`PUT ${rulePath}`]);
  t.deepEqual(s.calls[0]!.body, muteRule(ROOM));
  // Read back from synced m.push_rules, as the server reports the change.
  const synced: Record<string, JsonObject> = { 'm.push_rules': { global: { override: [{ rule_id: ROOM, enabled: true, ...muteRule(ROOM) }] } } };
  t.true(new PushRulesState(new MatrixApi(new HttpClient({ baseUrl: 'https://hs', fetch: s.fetch })), ME, () => synced, () => synced).isMuted(ROOM));
});

test('without editable push rules the mute goes to account data, and unmuting clears both', async (t) => {
  const s = server({ [`PUT ${dataPath}`]: { status: 200, body: {} }, [`DELETE ${rulePath}`]: { status: 404, body: { errcode: 'M_NOT_FOUND', error: 'No such rule' } } });
  let data: Record<string, JsonObject> = {};
  const push = new PushRulesState(new MatrixApi(new HttpClient({ baseUrl: 'https://hs', fetch: s.fetch })), ME, () => data, () => data);
  await push.setMuted(ROOM, true);
  t.deepEqual(s.calls.map((c) => c.key), [`PUT ${rulePath}`, `PUT ${dataPath}`]);
  t.deepEqual(s.calls[1]!.body, { rooms: [ROOM] });
  data = { [MUTE_TYPE]: { rooms: [ROOM] } };
  t.true(push.isMuted(ROOM));
  await push.setMuted(ROOM, false);
  // (Reading the mute asked for the rules once: that request is not part of unmuting.)
  const writes = s.calls.slice(2).filter((c) => !c.key.startsWith('GET '));
  t.deepEqual(writes.map((c) => c.key), [`DELETE ${rulePath}`, `PUT ${dataPath}`]);
  t.deepEqual(writes[1]!.body, { rooms: [] });
});

test('other failures are reported, not papered over', async (t) => {
  const s = server({ [`PUT ${rulePath}`]: { status: 403, body: { errcode: 'M_FORBIDDEN', error: 'No' } } });
  const push = new PushRulesState(new MatrixApi(new HttpClient({ baseUrl: 'https://hs', fetch: s.fetch })), ME, () => ({}), () => ({}));
  await t.throwsAsync(push.setMuted(ROOM, true), { message: 'No' });
  t.is(s.calls.length, 1);
});
