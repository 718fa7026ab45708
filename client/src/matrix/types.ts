/** The shapes of the Matrix client-server API that the client reads. Loosely typed content stays `JsonObject`. */

export type JsonObject = Record<string, unknown>;

export interface MatrixEvent {
  type: string;
  content: JsonObject;
  sender: string;
  event_id: string;
  origin_server_ts: number;
  state_key?: string;
  unsigned?: { age?: number; transaction_id?: string; redacted_because?: MatrixEvent; prev_content?: JsonObject; [k: string]: unknown };
  redacts?: string;
  room_id?: string;
}

export interface StrippedStateEvent {
  type: string;
  state_key: string;
  content: JsonObject;
  sender: string;
}

export interface EphemeralEvent {
  type: string;
  content: JsonObject;
}

export interface JoinedRoomSync {
  state?: { events?: MatrixEvent[] };
  state_after?: { events?: MatrixEvent[] };
  timeline?: { events?: MatrixEvent[]; limited?: boolean; prev_batch?: string };
  ephemeral?: { events?: EphemeralEvent[] };
  account_data?: { events?: EphemeralEvent[] };
  unread_notifications?: { notification_count?: number; highlight_count?: number };
  summary?: { 'm.heroes'?: string[]; 'm.joined_member_count'?: number; 'm.invited_member_count'?: number };
}

export interface SyncResponse {
  next_batch: string;
  rooms?: {
    join?: Record<string, JoinedRoomSync>;
    invite?: Record<string, { invite_state?: { events?: StrippedStateEvent[] } }>;
    leave?: Record<string, JoinedRoomSync>;
    knock?: Record<string, { knock_state?: { events?: StrippedStateEvent[] } }>;
  };
  presence?: { events?: Array<{ type: string; sender: string; content: JsonObject }> };
  account_data?: { events?: EphemeralEvent[] };
  to_device?: { events?: JsonObject[] };
  device_lists?: { changed?: string[]; left?: string[] };
  device_one_time_keys_count?: Record<string, number>;
}

export interface MessagesResponse {
  start: string;
  end?: string;
  chunk: MatrixEvent[];
  state?: MatrixEvent[];
}

export interface LoginResponse {
  user_id: string;
  access_token: string;
  device_id: string;
  well_known?: { 'm.homeserver'?: { base_url?: string } };
}

export interface UiaFlowsResponse {
  session?: string;
  flows: Array<{ stages: string[] }>;
  params?: JsonObject;
  completed?: string[];
  errcode?: string;
  error?: string;
}

export interface Device {
  device_id: string;
  display_name?: string;
  last_seen_ip?: string;
  last_seen_ts?: number;
}

export interface Profile {
  displayname?: string;
  avatar_url?: string;
}

export interface DirectoryUser {
  user_id: string;
  display_name?: string;
  avatar_url?: string;
}

export type Membership = 'join' | 'invite' | 'leave' | 'ban' | 'knock';

export interface PowerLevels {
  users?: Record<string, number>;
  users_default?: number;
  events?: Record<string, number>;
  events_default?: number;
  state_default?: number;
  ban?: number;
  kick?: number;
  redact?: number;
  invite?: number;
  notifications?: { room?: number };
}

export interface PublicRoom {
  room_id: string;
  name?: string;
  topic?: string;
  avatar_url?: string;
  canonical_alias?: string;
  num_joined_members: number;
  join_rule?: string;
  world_readable: boolean;
  guest_can_join: boolean;
}

export interface PublicRoomsResponse {
  chunk: PublicRoom[];
  next_batch?: string;
  prev_batch?: string;
  total_room_count_estimate?: number;
}
