import type { JsonObject } from '../../../src/core/json.js';
import type { StateResEvent } from '../../../src/core/state-res/store.js';

/** A hand-built state event: only what the graph algorithms read. */
export function ev(
  event_id: string,
  fields: {
    type?: string;
    state_key?: string;
    sender?: string;
    ts?: number;
    auth?: string[];
    content?: JsonObject;
    room_id?: string;
    rejected?: boolean;
  } = {},
): StateResEvent {
  return {
    event_id,
    room_id: fields.room_id ?? '!room:example.com',
    type: fields.type ?? 'm.room.topic',
    state_key: fields.state_key ?? '',
    sender: fields.sender ?? '@alice:example.com',
    origin_server_ts: fields.ts ?? 0,
    content: fields.content ?? {},
    prev_events: [],
    auth_events: fields.auth ?? [],
    ...(fields.rejected === undefined ? {} : { rejected: fields.rejected }),
  };
}
