import type { JsonObject } from '../../core/json.js';
import { errors, MatrixError } from '../../http/errors.js';
import type { Requester } from '../../http/auth.js';
import type { StoredEvent } from './storage/events.js';
import type { RoomWriter } from './pipeline/writer.js';
import type { BuiltEvent } from './pipeline/build.js';
import type { CurrentState } from './state/current-state.js';

/** What rooms need to know of users; the users component provides it. */
export interface ProfileSource {
  /** Undefined for users this server does not know. */
  getProfile(userId: string): Promise<{ displayname?: string | undefined; avatar_url?: string | undefined } | undefined>;
}

export type MembershipAction = 'join' | 'invite' | 'leave' | 'kick' | 'ban' | 'unban' | 'knock';

/** How membership reaches rooms of other servers; federation's room layer provides it. */
export interface RemoteMembershipHooks {
  /** Joins (or knocks on) a room this server is not in, through one of `servers`. */
  join(roomId: string, userId: string, servers: readonly string[], content: JsonObject): Promise<void>;
  knock(roomId: string, userId: string, servers: readonly string[], content: JsonObject): Promise<void>;
  /** Rejects an invite to, or withdraws a knock on, a room this server is not in. */
  leave(roomId: string, userId: string, reason: string | undefined): Promise<void>;
  /** Servers likely to know a room we are not in: whoever invited us, the room ID's server. */
  serversFor(roomId: string, userId: string): Promise<string[]>;
  /** Has the invitee's server countersign our invite of its user (before it is persisted). */
  countersignInvite(built: BuiltEvent, roomId: string): Promise<BuiltEvent>;
}

/**
 * Membership changes our users ask for. The auth rules decide what is allowed; this layer fills in
 * profiles, refuses the no-ops the spec's endpoints refuse, and turns a rule failure into 403.
 */
export class Memberships {
  remote: RemoteMembershipHooks | undefined;

  constructor(
    private readonly writer: RoomWriter,
    private readonly current: CurrentState,
    private readonly profiles: ProfileSource,
  ) {}

  async change(requester: Requester, roomId: string, action: MembershipAction, target: string, reason?: string, extra: JsonObject = {}, via: readonly string[] = []): Promise<StoredEvent> {
    const info = await this.current.info(roomId);
    if (!info) return this.changeRemote(requester, roomId, action, target, reason, extra, via);
    const own = action === 'join' || action === 'leave' || action === 'knock';
    if (own && target !== requester.userId) throw errors.forbidden('Cannot change the membership of another user this way');
    const targetNow = await this.current.membership(roomId, target);
    let membership: string;
    switch (action) {
      case 'join': {
        membership = 'join';
        // Joining again changes nothing: answer with the join that stands.
        const existing = targetNow === 'join' ? await this.current.event(roomId, 'm.room.member', target) : undefined;
        if (existing) return existing;
        break;
      }
      case 'knock':
        membership = 'knock';
        if (targetNow === 'join') throw errors.forbidden('You are already in the room');
        break;
      case 'invite':
        membership = 'invite';
        if (targetNow === 'join') throw errors.forbidden(`${target} is already in the room`);
        if (targetNow === 'ban') throw errors.forbidden(`${target} is banned from the room`);
        break;
      case 'leave':
        membership = 'leave';
        if (targetNow === undefined || targetNow === 'leave') throw errors.forbidden('You are not in the room');
        break;
      case 'kick':
        membership = 'leave';
        if (targetNow !== 'join' && targetNow !== 'invite' && targetNow !== 'knock') throw errors.forbidden(`${target} is not in the room`);
        break;
      case 'ban':
        membership = 'ban';
        break;
      case 'unban':
        membership = 'leave';
        if (targetNow !== 'ban') throw errors.forbidden(`${target} is not banned`);
        break;
    }
    const content: JsonObject = { ...extra, membership };
    if (reason !== undefined) content.reason = reason;
    if (membership === 'join' || membership === 'invite' || membership === 'knock') {
      const profile = await this.profiles.getProfile(target);
      if (membership === 'invite' && profile === undefined && isLocal(target, requester.userId)) {
        throw new MatrixError(404, 'M_NOT_FOUND', `Unknown user ${target}`);
      }
      if (profile?.displayname !== undefined) content.displayname = profile.displayname;
      if (profile?.avatar_url !== undefined) content.avatar_url = profile.avatar_url;
    }
    const remoteInvitee = membership === 'invite' && !isLocal(target, requester.userId) && this.remote;
    const [event] = await this.writer.append(roomId, [{ type: 'm.room.member', state_key: target, sender: requester.userId, content }], remoteInvitee ? { countersign: (b, r) => remoteInvitee.countersignInvite(b, r) } : {});
    return event!;
  }

  /** Membership in a room this server does not hold: through a server that does. */
  private async changeRemote(requester: Requester, roomId: string, action: MembershipAction, target: string, reason: string | undefined, extra: JsonObject, via: readonly string[]): Promise<StoredEvent> {
    const remote = this.remote;
    if (!remote || (action !== 'join' && action !== 'knock' && action !== 'leave')) {
      throw action === 'join' || action === 'knock' ? errors.notFound('No known servers to join this room through') : errors.forbidden('Unknown room');
    }
    if (target !== requester.userId) throw errors.forbidden('Cannot change the membership of another user this way');
    if (action === 'leave') {
      await remote.leave(roomId, target, reason);
    } else {
      const content: JsonObject = { ...extra };
      if (reason !== undefined) content.reason = reason;
      const profile = await this.profiles.getProfile(target);
      if (profile?.displayname !== undefined) content.displayname = profile.displayname;
      if (profile?.avatar_url !== undefined) content.avatar_url = profile.avatar_url;
      const servers = [...via, ...(await remote.serversFor(roomId, target))];
      await (action === 'join' ? remote.join(roomId, target, servers, content) : remote.knock(roomId, target, servers, content));
    }
    const stored = action === 'join' ? await this.current.event(roomId, 'm.room.member', target) : undefined;
    return stored ?? ({ eventId: '', roomId } as StoredEvent);
  }
}

const serverNameOf = (userId: string): string => userId.slice(userId.indexOf(':') + 1);

/** Whether `userId` belongs to the same server as `ours`. */
export function isLocal(userId: string, ours: string): boolean {
  return serverNameOf(userId) === serverNameOf(ours);
}
