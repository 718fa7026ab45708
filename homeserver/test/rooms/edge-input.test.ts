import test from 'ava';
import { createRoom, enc, registerAdmin, registerUser, room, roomV1, send, startRoomsServer, text } from './support.js';

const NUL = '\u0000';

test('input the database cannot hold is a 400, never a 500', async (t) => {
  const s = await startRoomsServer(t);
  const alice = await registerUser(s, 'alice');
  const admin = await registerAdmin(s, 'root');
  const r = await createRoom(alice, { preset: 'public_chat' });
  const e = await send(alice, r, text('hi'));
  const huge = '99999999999999999999';
  const since = Buffer.from(JSON.stringify(['f', 1, `!x${NUL}:hs.test`])).toString('base64url');

  const cases: Array<[string, Promise<{ status: number; body: any }>, string]> = [
    ['relations: NUL in rel type', alice.call('GET', `${roomV1(r)}/relations/${enc(e)}/${enc(`m.${NUL}`)}`), 'M_INVALID_PARAM'],
    ['relations: NUL in room ID', alice.call('GET', `${roomV1(`!a${NUL}:hs.test`)}/relations/${enc(e)}`), 'M_INVALID_PARAM'],
    ['relations: token beyond bigint', alice.call('GET', `${roomV1(r)}/relations/${enc(e)}?from=t${huge}_1`), 'M_INVALID_PARAM'],
    ['relations: stream token beyond bigint', alice.call('GET', `${roomV1(r)}/relations/${enc(e)}?to=s${huge}`), 'M_INVALID_PARAM'],
    ['threads: token beyond bigint', alice.call('GET', `${roomV1(r)}/threads?from=t1_${huge}`), 'M_INVALID_PARAM'],
    ['threads: NUL in query', alice.call('GET', `${roomV1(r)}/threads?from=${enc(NUL)}`), 'M_INVALID_PARAM'],
    ['timestamp: ts beyond safe integers', alice.call('GET', `${roomV1(r)}/timestamp_to_event?ts=${huge}&dir=f`), 'M_INVALID_PARAM'],
    ['alias: NUL in alias', s.request('GET', `/_matrix/client/v3/directory/room/${enc(`#a${NUL}:hs.test`)}`), 'M_INVALID_PARAM'],
    ['alias: NUL in room_id', alice.call('PUT', `/_matrix/client/v3/directory/room/${enc('#ok:hs.test')}`, { room_id: `!a${NUL}:hs.test` }), 'M_BAD_JSON'],
    ['publicRooms: NUL in search', alice.call('POST', '/_matrix/client/v3/publicRooms', { filter: { generic_search_term: NUL } }), 'M_BAD_JSON'],
    ['publicRooms: NUL in token', s.request('GET', `/_matrix/client/v3/publicRooms?since=${since}`), 'M_INVALID_PARAM'],
    ['user directory: NUL in term', alice.call('POST', '/_matrix/client/v3/user_directory/search', { search_term: `a${NUL}` }), 'M_BAD_JSON'],
    ['report: NUL in reason', alice.call('POST', `${room(r)}/report/${enc(e)}`, { reason: NUL }), 'M_BAD_JSON'],
    ['room report: NUL in reason', alice.call('POST', `${room(r)}/report`, { reason: NUL }), 'M_BAD_JSON'],
    ['room report: NUL in room ID', alice.call('POST', `${room(`!a${NUL}:hs.test`)}/report`, { reason: 'x' }), 'M_INVALID_PARAM'],
    ['upgrade: NUL in room ID', alice.call('POST', `${room(`!a${NUL}:hs.test`)}/upgrade`, { new_version: '11' }), 'M_INVALID_PARAM'],
    ['admin rooms: NUL in search', admin.call('GET', `/_synapse/admin/v1/rooms?search_term=${enc(NUL)}`), 'M_INVALID_PARAM'],
    ['admin room: NUL in room ID', admin.call('GET', `/_synapse/admin/v1/rooms/${enc(`!a${NUL}:hs.test`)}`), 'M_INVALID_PARAM'],
    ['admin reports: NUL in filter', admin.call('GET', `/_synapse/admin/v1/event_reports?user_id=${enc(NUL)}`), 'M_INVALID_PARAM'],
    ['admin report: id beyond safe integers', admin.call('GET', `/_synapse/admin/v1/event_reports/${huge}`), 'M_INVALID_PARAM'],
  ];
  for (const [name, pending, errcode] of cases) {
    const res = await pending;
    t.is(res.status, 400, name);
    t.is(res.body?.errcode, errcode, name);
  }
});
