import type { RoomData, SyncState } from './sync/accumulator';
import type { JsonObject, PowerLevels } from './types';

/** Read-only views of a room's data for the UI: names, members, powers. All pure. */

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

export function stateContent(room: RoomData, type: string, stateKey = ''): JsonObject | undefined {
  const fromState = room.state[type]?.[stateKey]?.content;
  if (fromState) return fromState;
  return room.inviteState.find((e) => e.type === type && e.state_key === stateKey)?.content;
}

export function localpart(userId: string): string {
  return userId.replace(/^@/, '').split(':')[0] ?? userId;
}

export function memberName(room: RoomData, userId: string): string {
  return str(stateContent(room, 'm.room.member', userId)?.displayname) ?? localpart(userId);
}

export function memberAvatar(room: RoomData, userId: string): string | undefined {
  return str(stateContent(room, 'm.room.member', userId)?.avatar_url);
}

export interface Member {
  userId: string;
  name: string;
  avatarUrl: string | undefined;
  membership: string;
  powerLevel: number;
}

export function members(room: RoomData): Member[] {
  const pl = powerLevels(room);
  return Object.entries(room.state['m.room.member'] ?? {})
    .map(([userId, e]) => ({
      userId,
      name: str(e.content.displayname) ?? localpart(userId),
      avatarUrl: str(e.content.avatar_url),
      membership: str(e.content.membership) ?? 'leave',
      powerLevel: userPower(pl, userId),
    }))
    .filter((m) => m.membership === 'join' || m.membership === 'invite' || m.membership === 'ban')
    .sort((a, b) => b.powerLevel - a.powerLevel || a.name.localeCompare(b.name));
}

/** Room IDs marked as direct chats in m.direct, by the other user. */
export function directRoomIds(sync: SyncState): Set<string> {
  const direct = sync.accountData['m.direct'] ?? {};
  const out = new Set<string>();
  for (const ids of Object.values(direct)) if (Array.isArray(ids)) for (const id of ids) if (typeof id === 'string') out.add(id);
  return out;
}

export function isDirect(room: RoomData, sync: SyncState, ownUserId: string): boolean {
  if (directRoomIds(sync).has(room.roomId)) return true;
  // An invite to a DM says so on our own member event.
  return room.membership === 'invite' && stateContent(room, 'm.room.member', ownUserId)?.is_direct === true;
}

/** The other people in a room (joined or invited), for naming rooms without a name. */
function others(room: RoomData, ownUserId: string): string[] {
  const fromState = Object.entries(room.state['m.room.member'] ?? {})
    .filter(([id, e]) => id !== ownUserId && (e.content.membership === 'join' || e.content.membership === 'invite'))
    .map(([id]) => id);
  if (fromState.length > 0) return fromState.sort();
  return room.heroes.filter((h) => h !== ownUserId);
}

/** The one other person of a direct chat (joined or invited), if there is exactly one. */
export function directPartner(room: RoomData, ownUserId: string): string | undefined {
  const people = others(room, ownUserId);
  return people.length === 1 ? people[0] : undefined;
}

export function roomName(room: RoomData, ownUserId: string): string {
  const name = str(stateContent(room, 'm.room.name')?.name);
  if (name) return name;
  const alias = str(stateContent(room, 'm.room.canonical_alias')?.alias);
  if (alias) return alias;
  if (room.membership === 'invite') {
    const inviter = room.inviteState.find((e) => e.type === 'm.room.member' && e.state_key === ownUserId)?.sender;
    if (inviter) return memberName(room, inviter);
  }
  const people = others(room, ownUserId).map((id) => memberName(room, id));
  if (people.length === 0) return 'Empty room';
  if (people.length <= 3) return people.join(', ');
  return `${people.slice(0, 2).join(', ')} and ${people.length - 2} others`;
}

export function roomTopic(room: RoomData): string | undefined {
  return str(stateContent(room, 'm.room.topic')?.topic);
}

export function roomAvatar(room: RoomData, ownUserId: string, direct: boolean): string | undefined {
  const own = str(stateContent(room, 'm.room.avatar')?.url);
  if (own || !direct) return own;
  const other = others(room, ownUserId)[0];
  return other ? memberAvatar(room, other) : undefined;
}

export function isEncrypted(room: RoomData): boolean {
  return stateContent(room, 'm.room.encryption') !== undefined;
}

export function powerLevels(room: RoomData): PowerLevels {
  return (stateContent(room, 'm.room.power_levels') ?? {}) as PowerLevels;
}

export function userPower(pl: PowerLevels, userId: string): number {
  return pl.users?.[userId] ?? pl.users_default ?? 0;
}

export type RoomAction = 'invite' | 'kick' | 'ban' | 'redact' | 'power' | 'name' | 'topic' | 'avatar' | 'join_rules' | 'history' | 'encryption' | 'send';

const STATE_TYPES: Partial<Record<RoomAction, string>> = {
  power: 'm.room.power_levels',
  name: 'm.room.name',
  topic: 'm.room.topic',
  avatar: 'm.room.avatar',
  join_rules: 'm.room.join_rules',
  history: 'm.room.history_visibility',
  encryption: 'm.room.encryption',
};

/** Whether `userId` may do `action`, by the room's power levels (defaults from the spec). */
export function can(room: RoomData, userId: string, action: RoomAction): boolean {
  const pl = powerLevels(room);
  const mine = userPower(pl, userId);
  switch (action) {
    case 'invite':
      return mine >= (pl.invite ?? 0);
    case 'kick':
      return mine >= (pl.kick ?? 50);
    case 'ban':
      return mine >= (pl.ban ?? 50);
    case 'redact':
      return mine >= (pl.redact ?? 50);
    case 'send':
      return mine >= (pl.events?.['m.room.message'] ?? pl.events_default ?? 0);
    default: {
      const type = STATE_TYPES[action]!;
      return mine >= (pl.events?.[type] ?? pl.state_default ?? 50);
    }
  }
}

/** Over another member: needs the power for the action and strictly more power than them. */
export function canActOn(room: RoomData, userId: string, target: string, action: 'kick' | 'ban' | 'power'): boolean {
  const pl = powerLevels(room);
  return can(room, userId, action) && (userId === target ? action === 'power' : userPower(pl, userId) > userPower(pl, target));
}

export function roleName(level: number): string {
  if (level >= 100) return 'Admin';
  if (level >= 50) return 'Moderator';
  return level > 0 ? `Power ${level}` : 'Member';
}

/** Rooms for the list: invites first, then by latest activity. Left rooms are not listed. */
export function sortedRooms(sync: SyncState): RoomData[] {
  return Object.values(sync.rooms)
    .filter((r) => r.membership !== 'leave')
    .sort((a, b) => (a.membership === 'invite' ? 0 : 1) - (b.membership === 'invite' ? 0 : 1) || b.lastActivity - a.lastActivity);
}

/** People waiting at the door of a room we are in (membership `knock`), with their reasons. */
export function knocking(room: RoomData): Array<{ userId: string; name: string; reason: string | undefined }> {
  return Object.entries(room.state['m.room.member'] ?? {})
    .filter(([, e]) => e.content.membership === 'knock')
    .map(([userId, e]) => ({ userId, name: str(e.content.displayname) ?? localpart(userId), reason: str(e.content.reason) }));
}
