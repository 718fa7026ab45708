import type { JsonObject } from '../../core/json.js';
import type { RoomVersion } from '../../core/room-versions.js';
import type { EventTemplate } from './pipeline/build.js';

export type Preset = 'private_chat' | 'public_chat' | 'trusted_private_chat';

export interface CreateRoomRequest {
  preset?: Preset | undefined;
  visibility?: 'public' | 'private' | undefined;
  name?: string | undefined;
  topic?: string | undefined;
  roomAlias?: string | undefined;
  invite: string[];
  isDirect: boolean;
  initialState: Array<{ type: string; state_key: string; content: JsonObject }>;
  creationContent: JsonObject;
  powerLevelContentOverride?: JsonObject | undefined;
}

const PRESETS: Record<Preset, { join_rule: string; history_visibility: string; guest_access: string }> = {
  private_chat: { join_rule: 'invite', history_visibility: 'shared', guest_access: 'can_join' },
  trusted_private_chat: { join_rule: 'invite', history_visibility: 'shared', guest_access: 'can_join' },
  public_chat: { join_rule: 'public', history_visibility: 'shared', guest_access: 'forbidden' },
};

/**
 * The events of a new room in the order the spec's createRoom lays down: create, the creator's
 * join, power levels, canonical alias, preset state, initial_state, name and topic, invites.
 */
export function roomCreationTemplates(
  creator: string,
  rv: RoomVersion,
  req: CreateRoomRequest,
  creatorProfile: { displayname?: string | undefined; avatar_url?: string | undefined },
): EventTemplate[] {
  const preset: Preset = req.preset ?? (req.visibility === 'public' ? 'public_chat' : 'private_chat');
  const trusted = preset === 'trusted_private_chat';
  const state = (type: string, content: JsonObject, state_key = ''): EventTemplate => ({ type, state_key, sender: creator, content });

  const createContent: JsonObject = { ...req.creationContent, room_version: rv.id };
  if (!rv.implicitCreator) createContent.creator = creator;
  else delete createContent.creator;
  if (rv.privilegedCreators) {
    const extra = Array.isArray(createContent.additional_creators) ? (createContent.additional_creators as string[]) : [];
    // A trusted private chat makes its invitees peers of the creator; in v12 that means creators.
    const additional = [...new Set([...extra, ...(trusted ? req.invite : [])])].filter((u) => u !== creator);
    if (additional.length > 0) createContent.additional_creators = additional;
    else delete createContent.additional_creators;
  }

  const member: JsonObject = { membership: 'join' };
  if (creatorProfile.displayname !== undefined) member.displayname = creatorProfile.displayname;
  if (creatorProfile.avatar_url !== undefined) member.avatar_url = creatorProfile.avatar_url;

  const users: JsonObject = {};
  if (!rv.privilegedCreators) {
    users[creator] = 100;
    if (trusted) for (const u of req.invite) users[u] = 100;
  }
  const powerLevels: JsonObject = {
    users,
    users_default: 0,
    events: {
      'm.room.name': 50,
      'm.room.power_levels': 100,
      'm.room.history_visibility': 100,
      'm.room.canonical_alias': 50,
      'm.room.avatar': 50,
      // v12: replacing the room must need more than ordinary state (the spec asks for it explicitly).
      'm.room.tombstone': rv.privilegedCreators ? 150 : 100,
      'm.room.server_acl': 100,
      'm.room.encryption': 100,
    },
    events_default: 0,
    state_default: 50,
    ban: 50,
    kick: 50,
    redact: 50,
    invite: 0,
    notifications: { room: 50 },
    ...(req.powerLevelContentOverride ?? {}),
  };

  const templates: EventTemplate[] = [
    state('m.room.create', createContent),
    state('m.room.member', member, creator),
    state('m.room.power_levels', powerLevels),
  ];
  if (req.roomAlias) templates.push(state('m.room.canonical_alias', { alias: req.roomAlias }));
  const p = PRESETS[preset];
  templates.push(state('m.room.join_rules', { join_rule: p.join_rule }));
  templates.push(state('m.room.history_visibility', { history_visibility: p.history_visibility }));
  templates.push(state('m.room.guest_access', { guest_access: p.guest_access }));

  const overridden = new Set<string>();
  if (req.name !== undefined) overridden.add('m.room.name\u0000');
  if (req.topic !== undefined) overridden.add('m.room.topic\u0000');
  for (const s of req.initialState) {
    if (overridden.has(`${s.type}\u0000${s.state_key}`)) continue;
    templates.push(state(s.type, s.content, s.state_key));
  }
  if (req.name !== undefined) templates.push(state('m.room.name', { name: req.name }));
  if (req.topic !== undefined) {
    templates.push(state('m.room.topic', { topic: req.topic, 'm.topic': { 'm.text': [{ mimetype: 'text/plain', body: req.topic }] } }));
  }
  for (const invitee of req.invite) {
    const content: JsonObject = { membership: 'invite' };
    if (req.isDirect) content.is_direct = true;
    templates.push(state('m.room.member', content, invitee));
  }
  return templates;
}
