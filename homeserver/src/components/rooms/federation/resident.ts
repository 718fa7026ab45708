import { canonicalJson } from '../../../core/canonical-json.js';
import { signEvent } from '../../../core/event-signing.js';
import { roomEventOf, stateKey, type PDU } from '../../../core/events.js';
import { computeEventId } from '../../../core/ids.js';
import type { JsonObject } from '../../../core/json.js';
import { supportedRoomVersions } from '../../../core/room-versions.js';
import { errors, MatrixError } from '../../../http/errors.js';
import type { RoomInfo } from '../pipeline/room-info.js';
import type { StoredEvent } from '../storage/events.js';
import { serverOf } from '../hosts.js';
import { authChainOf } from './auth-chain.js';
import { checkAgainstState } from './auth-check.js';
import type { RoomFederationContext } from './context.js';
import type { EventIngest } from './ingest.js';
import { eventTemplate } from './template.js';
import { verifyPdus, type CheckedPdu } from './verify.js';

export type Handshake = 'join' | 'leave' | 'knock';

/** Stripped state sent with invites and knocks so the user can see what room it is. */
export const STRIPPED_STATE_TYPES = ['m.room.create', 'm.room.name', 'm.room.avatar', 'm.room.topic', 'm.room.join_rules', 'm.room.canonical_alias', 'm.room.encryption'];

/**
 * The resident side of joins, leaves and knocks of other servers' users (`make_*` / `send_*`): we
 * propose an event built on our view of the room, the other server signs it, we check and persist
 * it like any inbound event and answer with what the other server needs.
 */
export class ResidentHandshakes {
  constructor(
    private readonly ctx: RoomFederationContext,
    private readonly ingest: EventIngest,
  ) {}

  private async room(roomId: string): Promise<RoomInfo> {
    const info = await this.ctx.infos.get(roomId);
    if (!info) throw errors.notFound('This server is not in the room');
    return info;
  }

  async make(kind: Handshake, origin: string, roomId: string, userId: string, versions: readonly string[]): Promise<JsonObject> {
    if (!userId.includes(':') || serverOf(userId) !== origin) throw errors.forbidden('The user does not belong to the requesting server');
    const info = await this.room(roomId);
    if (kind !== 'leave' && !versions.includes(info.version.id)) {
      throw new MatrixError(400, 'M_INCOMPATIBLE_ROOM_VERSION', `The room is of version ${info.version.id}, which the requesting server does not support`, { room_version: info.version.id });
    }
    const content: JsonObject = { membership: kind };
    if (kind === 'join') {
      const via = await this.restrictedAuthoriser(info, userId);
      if (via) content.join_authorised_via_users_server = via;
    }
    const template = eventTemplate(info, { type: 'm.room.member', state_key: userId, sender: userId, content }, Date.now());
    // Refuse now what would be refused on send: the other server should not sign a doomed event.
    const probe = roomEventOf('$probe', template as unknown as PDU);
    const verdict = await checkAgainstState(probe, info.state, info.version, this.ctx.events);
    if (!verdict.ok) throw errors.forbidden(`The ${kind} is not allowed: ${verdict.reason}`);
    return { event: template, room_version: info.version.id };
  }

  /**
   * For `restricted` rooms: a local user able to invite, when the joining user is in one of the
   * rooms the join rule allows (as far as this server knows). Undefined when no authorisation is
   * needed (already invited or joined, or the room is not restricted).
   */
  private async restrictedAuthoriser(info: RoomInfo, userId: string): Promise<string | undefined> {
    const rulesId = info.state.get(stateKey('m.room.join_rules', ''));
    const rules = rulesId ? (await this.ctx.events.get(rulesId))?.pdu.content : undefined;
    const rule = rules?.join_rule;
    if (rule !== 'restricted' && rule !== 'knock_restricted') return undefined;
    const memberId = info.state.get(stateKey('m.room.member', userId));
    const membership = memberId ? (await this.ctx.events.get(memberId))?.pdu.content.membership : undefined;
    if (membership === 'join' || membership === 'invite') return undefined;
    const allow = Array.isArray(rules?.allow) ? rules.allow : [];
    const rooms = allow.flatMap((a) => (typeof a === 'object' && a !== null && !Array.isArray(a) && a.type === 'm.room_membership' && typeof a.room_id === 'string' ? [a.room_id] : []));
    const inAllowed = rooms.length > 0 && (await this.ctx.db('room_memberships').where({ user_id: userId, membership: 'join' }).whereIn('room_id', rooms).first());
    if (!inAllowed) {
      const anyKnown = rooms.length > 0 && (await this.ctx.db('rooms').whereIn('room_id', rooms).first());
      if (!anyKnown) throw new MatrixError(400, 'M_UNABLE_TO_AUTHORISE_JOIN', 'This server cannot tell whether the user may join');
      throw errors.forbidden('The user is not in a room the join rule allows');
    }
    // The first joined local member with the power to invite vouches for the join.
    const suffix = `:${this.ctx.serverName}`;
    const plId = info.state.get(stateKey('m.room.power_levels', ''));
    const pl = plId ? (await this.ctx.events.get(plId))?.pdu.content : undefined;
    const users = (pl?.users ?? {}) as Record<string, unknown>;
    const usersDefault = typeof pl?.users_default === 'number' ? pl.users_default : 0;
    const invite = typeof pl?.invite === 'number' ? pl.invite : 0;
    const locals = (await this.ctx.db('room_memberships').select('user_id').where({ room_id: info.roomId, membership: 'join' })) as Array<{ user_id: string }>;
    const able = locals
      .map((r) => r.user_id)
      .filter((u) => u.endsWith(suffix))
      .filter((u) => (typeof users[u] === 'number' ? (users[u] as number) : usersDefault) >= invite)
      .sort();
    if (able.length === 0) throw new MatrixError(400, 'M_UNABLE_TO_GRANT_JOIN', 'No user of this server can authorise the join');
    return able[0];
  }

  /** `send_join`, `send_leave`, `send_knock`: the signed event, checked and persisted. */
  async send(kind: Handshake, origin: string, roomId: string, eventId: string, body: unknown): Promise<{ event: CheckedPdu; stored: StoredEvent; info: RoomInfo }> {
    const info = await this.room(roomId);
    // A restricted join we are to vouch for cannot carry our signature yet: we add it below.
    const [checked] = await verifyPdus([body], info.version, this.ctx.federation, { exceptSigners: kind === 'join' ? [this.ctx.serverName] : [] });
    if (!checked || !checked.ok) throw errors.badJson(checked && !checked.ok ? checked.error : 'missing event');
    let event = checked.event;
    if (event.eventId !== eventId) throw errors.badJson('The event ID in the path does not match the event');
    const pdu = event.pdu;
    if (pdu.room_id !== roomId) throw errors.badJson('The event belongs to another room');
    if (pdu.type !== 'm.room.member' || pdu.state_key !== pdu.sender || pdu.content.membership !== kind) throw errors.badJson(`Not a ${kind} event of the sender`);
    if (serverOf(pdu.sender) !== origin) throw errors.forbidden('The sender does not belong to the requesting server');
    const via = pdu.content.join_authorised_via_users_server;
    if (kind === 'join' && typeof via === 'string' && serverOf(via) === this.ctx.serverName) {
      // We vouch for the join: our signature goes on it (the event ID does not change).
      const signed = signEvent(pdu, info.version, this.ctx.serverName, this.ctx.signingKey.keyId, this.ctx.signingKey.seed);
      event = { eventId: computeEventId(signed, info.version), pdu: signed, json: canonicalJson(signed) };
    }
    const outcome = await this.ctx.writer.inRoom(roomId, async () => this.ingest.ingest(origin, (await this.ctx.infos.get(roomId)) ?? info, event, 'live'));
    if (outcome.rejectedReason !== null) throw errors.forbidden(`The ${kind} was rejected: ${outcome.rejectedReason}`);
    if (outcome.softFailed) throw errors.forbidden(`The ${kind} is not allowed by the room's current state`);
    const stored = await this.ctx.events.get(eventId);
    if (!stored) throw errors.unknown('The event was not stored');
    return { event, stored, info };
  }

  /** What `send_join` answers: the state before the join, its auth chain, the servers in the room. */
  async joinResponse(event: CheckedPdu, stored: StoredEvent): Promise<JsonObject> {
    const state = stored.stateBefore !== null ? await this.ctx.groups.get(stored.stateBefore) : new Map<string, string>();
    const stateIds = [...state.values()];
    const [loaded, chain, servers] = await Promise.all([
      this.ctx.events.getMany(stateIds),
      authChainOf(this.ctx.events, [...stateIds, stored.eventId]),
      this.ctx.hosts.joinedServers(stored.roomId),
    ]);
    return {
      origin: this.ctx.serverName,
      state: stateIds.map((id) => loaded.get(id)?.pdu).filter((p): p is PDU => p !== undefined) as unknown as JsonObject[],
      auth_chain: chain.map((e) => e.pdu) as unknown as JsonObject[],
      event: event.pdu as unknown as JsonObject,
      members_omitted: false,
      servers_in_room: [...servers],
    };
  }

  async strippedState(roomId: string): Promise<JsonObject[]> {
    const info = await this.room(roomId);
    const ids = STRIPPED_STATE_TYPES.map((t) => info.state.get(stateKey(t, ''))).filter((x): x is string => x !== undefined);
    const loaded = await this.ctx.events.getMany(ids);
    return ids.flatMap((id) => {
      const e = loaded.get(id);
      return e ? [{ type: e.pdu.type, state_key: e.pdu.state_key ?? '', sender: e.pdu.sender, content: e.pdu.content }] : [];
    });
  }
}

export function supportedVersionIds(): string[] {
  return supportedRoomVersions().map((v) => v.id);
}
