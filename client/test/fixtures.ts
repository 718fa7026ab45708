import type { JoinedRoomSync, MatrixEvent, SyncResponse } from '../src/matrix/types';

let n = 0;
export const ME = '@me:hs.test';
export const BOB = '@bob:hs.test';

export function ev(type: string, content: Record<string, unknown>, extra: Partial<MatrixEvent> = {}): MatrixEvent {
  n++;
  return { type, content, sender: BOB, event_id: `$e${n}`, origin_server_ts: 1_700_000_000_000 + n * 1000, ...extra };
}

export const msg = (body: string, extra: Partial<MatrixEvent> = {}): MatrixEvent => ev('m.room.message', { msgtype: 'm.text', body }, extra);

export const member = (userId: string, membership: string, displayname?: string): MatrixEvent =>
  ev('m.room.member', { membership, ...(displayname ? { displayname } : {}) }, { state_key: userId, sender: userId });

export function joined(roomId: string, room: JoinedRoomSync, next = 's1'): SyncResponse {
  return { next_batch: next, rooms: { join: { [roomId]: room } } };
}
