import test from 'ava';
import { REQUEST_TYPES, routeRequest } from '../src/matrix/crypto/requests';

test('each crypto request goes to its endpoint, path parts encoded', (t) => {
  t.like(routeRequest({ id: '1', type: REQUEST_TYPES.KeysUpload, body: '{"device_keys":{}}' }), { method: 'POST', path: '/_matrix/client/v3/keys/upload', body: { device_keys: {} } });
  t.like(routeRequest({ id: '1', type: REQUEST_TYPES.KeysQuery, body: '{}' }), { method: 'POST', path: '/_matrix/client/v3/keys/query' });
  t.like(routeRequest({ id: '1', type: REQUEST_TYPES.KeysClaim, body: '{}' }), { method: 'POST', path: '/_matrix/client/v3/keys/claim' });
  t.like(routeRequest({ id: '1', type: REQUEST_TYPES.ToDevice, body: '{"messages":{}}', event_type: 'm.room.encrypted', txn_id: 't/1' }), {
    method: 'PUT',
    path: '/_matrix/client/v3/sendToDevice/m.room.encrypted/t%2F1',
  });
  t.like(routeRequest({ id: '1', type: REQUEST_TYPES.SignatureUpload, body: '{}' }), { method: 'POST', path: '/_matrix/client/v3/keys/signatures/upload' });
  t.like(routeRequest({ id: '1', type: REQUEST_TYPES.RoomMessage, body: '{}', room_id: '!r:hs', event_type: 'm.key.verification.ready', txn_id: 'x' }), {
    method: 'PUT',
    path: '/_matrix/client/v3/rooms/!r%3Ahs/send/m.key.verification.ready/x',
  });
  t.deepEqual(routeRequest({ id: '1', type: REQUEST_TYPES.KeysBackup, body: '{"rooms":{}}', version: '3' }), { method: 'PUT', path: '/_matrix/client/v3/room_keys/keys', query: { version: '3' }, body: { rooms: {} } });
  t.throws(() => routeRequest({ id: '1', type: 99, body: '{}' }));
});
