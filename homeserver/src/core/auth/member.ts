import type { RoomEvent } from '../events.js';
import type { RoomVersion } from '../room-versions.js';
import { powerLevelAction, userPowerLevel } from './power-levels.js';
import { ALLOW, defaultIsSignedBy, reject, type AuthOptions, type AuthResult, type AuthState } from './result.js';
import { createEvent, joinRuleOf, membershipOf, powerLevelsEvent } from './state.js';
import { checkThirdPartyInviteMember } from './third-party-invite.js';
import { serverNameOf } from './user-id.js';

/** What every membership rule needs to know about the room. */
interface MemberContext {
  event: RoomEvent;
  target: string;
  state: AuthState;
  rv: RoomVersion;
  create: RoomEvent;
}

function levelOf(ctx: MemberContext, userId: string): number {
  return userPowerLevel(userId, powerLevelsEvent(ctx.state), ctx.create, ctx.rv);
}

function actionLevel(ctx: MemberContext, action: 'invite' | 'kick' | 'ban'): number {
  return powerLevelAction(action, powerLevelsEvent(ctx.state));
}

/** Only the create event's own creator (not `additional_creators`) bootstraps the room. */
function isCreatorsFirstJoin(ctx: MemberContext): boolean {
  const { event, create, rv, target } = ctx;
  if (event.prev_events.length !== 1 || event.prev_events[0] !== create.event_id) return false;
  const creator = rv.implicitCreator ? create.sender : create.content['creator'];
  return target === creator;
}

function checkJoin(ctx: MemberContext): AuthResult {
  const { event, target, state, rv } = ctx;
  if (isCreatorsFirstJoin(ctx)) return ALLOW;
  if (event.sender !== target) return reject('join: sender does not match state_key');

  const current = membershipOf(state, target);
  if (current === 'ban') return reject('join: sender is banned');
  const alreadyInvitedOrJoined = current === 'invite' || current === 'join';

  const joinRule = joinRuleOf(state);
  if (joinRule === 'invite' || (rv.knocking && joinRule === 'knock')) {
    return alreadyInvitedOrJoined ? ALLOW : reject(`join: join rule is ${joinRule} and sender is not invited`);
  }

  if ((rv.restrictedJoins && joinRule === 'restricted') || (rv.knockRestricted && joinRule === 'knock_restricted')) {
    if (alreadyInvitedOrJoined) return ALLOW;
    // A resident server vouches for the joiner; the vouching user must be able to invite.
    const authoriser = event.content['join_authorised_via_users_server'];
    if (typeof authoriser !== 'string') return reject(`join: join rule is ${joinRule} and no authorising user is given`);
    if (membershipOf(state, authoriser) !== 'join') return reject('join: the authorising user is not joined');
    if (levelOf(ctx, authoriser) < actionLevel(ctx, 'invite')) return reject('join: the authorising user may not invite');
    return ALLOW;
  }

  if (joinRule === 'public') return ALLOW;
  return reject(`join: join rule ${joinRule ?? '(none)'} does not allow joining`);
}

function checkInvite(ctx: MemberContext): AuthResult {
  const { event, target, state } = ctx;
  if ('third_party_invite' in event.content) return checkThirdPartyInviteMember(event, state);
  if (membershipOf(state, event.sender) !== 'join') return reject('invite: sender is not joined');
  const targetMembership = membershipOf(state, target);
  if (targetMembership === 'join' || targetMembership === 'ban') return reject(`invite: target is ${targetMembership === 'join' ? 'joined' : 'banned'}`);
  return levelOf(ctx, event.sender) >= actionLevel(ctx, 'invite') ? ALLOW : reject('invite: sender is below the invite level');
}

function checkLeave(ctx: MemberContext): AuthResult {
  const { event, target, state, rv } = ctx;
  const senderMembership = membershipOf(state, event.sender);
  if (event.sender === target) {
    const mayLeave = senderMembership === 'join' || senderMembership === 'invite' || (rv.knocking && senderMembership === 'knock');
    return mayLeave ? ALLOW : reject(`leave: sender's membership is ${senderMembership}`);
  }
  if (senderMembership !== 'join') return reject('kick: sender is not joined');
  const senderLevel = levelOf(ctx, event.sender);
  if (membershipOf(state, target) === 'ban' && senderLevel < actionLevel(ctx, 'ban')) return reject('unban: sender is below the ban level');
  if (senderLevel >= actionLevel(ctx, 'kick') && levelOf(ctx, target) < senderLevel) return ALLOW;
  return reject('kick: sender is below the kick level or not above the target');
}

function checkBan(ctx: MemberContext): AuthResult {
  const { event, target, state } = ctx;
  if (membershipOf(state, event.sender) !== 'join') return reject('ban: sender is not joined');
  const senderLevel = levelOf(ctx, event.sender);
  if (senderLevel >= actionLevel(ctx, 'ban') && levelOf(ctx, target) < senderLevel) return ALLOW;
  return reject('ban: sender is below the ban level or not above the target');
}

function checkKnock(ctx: MemberContext): AuthResult {
  const { event, target, state, rv } = ctx;
  const joinRule = joinRuleOf(state);
  if (!(joinRule === 'knock' || (rv.knockRestricted && joinRule === 'knock_restricted'))) {
    return reject(`knock: join rule ${joinRule ?? '(none)'} does not allow knocking`);
  }
  if (event.sender !== target) return reject('knock: sender does not match state_key');
  const current = membershipOf(state, event.sender);
  if (current === 'ban' || current === 'invite' || current === 'join') return reject(`knock: sender's membership is ${current}`);
  return ALLOW;
}

/** The `m.room.member` rules (v10/v11 rule 4, v12 rule 5). The caller has found the create event. */
export function checkMemberEvent(event: RoomEvent, state: AuthState, rv: RoomVersion, options: AuthOptions): AuthResult {
  const target = event.state_key;
  if (target === undefined || !('membership' in event.content)) return reject('m.room.member: no state_key or no membership');

  if (rv.restrictedJoins && 'join_authorised_via_users_server' in event.content) {
    const authoriser = event.content['join_authorised_via_users_server'];
    const server = typeof authoriser === 'string' ? serverNameOf(authoriser) : undefined;
    const isSignedBy = options.isSignedBy ?? defaultIsSignedBy;
    if (server === undefined || !isSignedBy(event, server)) {
      return reject('m.room.member: not signed by the server of join_authorised_via_users_server');
    }
  }

  const create = createEvent(state);
  if (!create) return reject('m.room.member: no m.room.create event in state');
  const ctx: MemberContext = { event, target, state, rv, create };
  switch (event.content['membership']) {
    case 'join':
      return checkJoin(ctx);
    case 'invite':
      return checkInvite(ctx);
    case 'leave':
      return checkLeave(ctx);
    case 'ban':
      return checkBan(ctx);
    case 'knock':
      if (rv.knocking) return checkKnock(ctx);
      break;
  }
  return reject(`m.room.member: unknown membership ${JSON.stringify(event.content['membership'])}`);
}
