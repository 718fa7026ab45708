import type { Knex } from 'knex';
import { isJsonObject, type JsonObject } from '../../core/json.js';
import { liveRelations } from './relations.js';
import type { RoomVersion } from '../../core/room-versions.js';
import { powerLevelAction, userPowerLevel } from '../../core/auth/index.js';
import type { Requester } from '../../http/auth.js';
import { errors, MatrixError } from '../../http/errors.js';
import { toRoomEvent, type EventStore, type StoredEvent } from './storage/events.js';
import type { AliasStore } from './storage/aliases.js';
import type { RoomWriter } from './pipeline/writer.js';
import type { CurrentState } from './state/current-state.js';
import { roomCreationTemplates, type CreateRoomRequest } from './room-creation.js';
import { isLocal, type Memberships, type ProfileSource } from './membership.js';
import { redactsOf } from '../../core/auth/index.js';

/**
 * What our users do to rooms, on top of the pipeline: creating rooms, sending events and state,
 * redacting. Routes validate input and call here; other components use api.ts.
 */
export class RoomsService {
  constructor(
    readonly db: Knex,
    readonly serverName: string,
    readonly writer: RoomWriter,
    readonly events: EventStore,
    readonly current: CurrentState,
    readonly aliases: AliasStore,
    readonly memberships: Memberships,
    private readonly profiles: ProfileSource,
  ) {}

  async createRoom(requester: Requester, rv: RoomVersion, req: Omit<CreateRoomRequest, 'roomAlias'> & { roomAliasName?: string | undefined }): Promise<string> {
    const alias = req.roomAliasName !== undefined ? `#${req.roomAliasName}:${this.serverName}` : undefined;
    if (alias && (await this.aliases.resolve(alias))) throw new MatrixError(400, 'M_ROOM_IN_USE', 'Room alias already taken');
    const profile = (await this.profiles.getProfile(requester.userId)) ?? {};
    const templates = roomCreationTemplates(requester.userId, rv, { ...req, roomAlias: alias }, profile);
    // Invites carry the invitee's profile, as any other invite does.
    const invitees = templates.filter((t) => t.type === 'm.room.member' && t.content.membership === 'invite');
    for (const t of invitees) {
      const p = await this.profiles.getProfile(t.state_key!);
      // Refuse before anything is written: no half-made rooms.
      if (p === undefined && isLocal(t.state_key!, requester.userId)) throw new MatrixError(404, 'M_NOT_FOUND', `Unknown user ${t.state_key!}`);
      if (p?.displayname !== undefined) t.content.displayname = p.displayname;
      if (p?.avatar_url !== undefined) t.content.avatar_url = p.avatar_url;
    }
    // Invites of other servers' users need their server's countersignature: sent once the room exists.
    const remoteInvites = this.memberships.remote ? invitees.filter((t) => !isLocal(t.state_key!, requester.userId)) : [];
    const localTemplates = templates.filter((t) => !remoteInvites.includes(t));
    const { roomId } = await this.writer.createRoom(rv, localTemplates, requester.userId);
    for (const t of remoteInvites) {
      const extra: JsonObject = t.content.is_direct === true ? { is_direct: true } : {};
      await this.memberships.change(requester, roomId, 'invite', t.state_key!, undefined, extra);
    }
    if (alias && !(await this.aliases.create(alias, roomId, requester.userId))) {
      throw new MatrixError(400, 'M_ROOM_IN_USE', 'Room alias already taken');
    }
    if (req.visibility === 'public') await this.db('rooms').update({ is_public: true }).where('room_id', roomId);
    return roomId;
  }

  async send(requester: Requester, roomId: string, type: string, content: JsonObject, txnId?: string): Promise<StoredEvent> {
    await this.requireJoined(requester.userId, roomId);
    await this.refuseDuplicateAnnotation(requester.userId, type, content);
    const [event] = await this.writer.append(roomId, [{ type, sender: requester.userId, content }], { device: requester.deviceId, txnId });
    return event!;
  }

  async setState(requester: Requester, roomId: string, type: string, stateKey: string, content: JsonObject): Promise<StoredEvent> {
    if (type === 'm.room.member') {
      // Memberships have their own endpoints with their own checks; the state endpoint is for
      // setting one's own displayname/avatar in a room and for raw membership by capable clients.
      const membership = content.membership;
      if (typeof membership !== 'string') throw errors.badJson('membership is required');
    } else {
      await this.requireJoined(requester.userId, roomId);
    }
    // Setting the same content again is a no-op, as Synapse does: clients retry.
    const existing = await this.current.event(roomId, type, stateKey);
    if (existing && existing.pdu.sender === requester.userId && JSON.stringify(existing.pdu.content) === JSON.stringify(content)) return existing;
    const [event] = await this.writer.append(roomId, [{ type, state_key: stateKey, sender: requester.userId, content }], { device: requester.deviceId });
    return event!;
  }

  async redact(requester: Requester, roomId: string, eventId: string, reason: string | undefined, txnId: string): Promise<StoredEvent> {
    await this.requireJoined(requester.userId, roomId);
    const target = await this.events.get(eventId);
    if (!target || target.roomId !== roomId) throw errors.notFound('Event not found');
    if (target.pdu.sender !== requester.userId) {
      // Redacting someone else's event needs the room's redact level.
      const info = (await this.current.info(roomId))!;
      const pl = await this.current.event(roomId, 'm.room.power_levels', '');
      const create = await this.current.event(roomId, 'm.room.create', '');
      const mine = userPowerLevel(requester.userId, pl && toRoomEvent(pl), create && toRoomEvent(create), info.version);
      if (mine < powerLevelAction('redact', pl && toRoomEvent(pl))) throw errors.forbidden('You may not redact events of other users in this room');
    }
    const content: JsonObject = {};
    if (reason !== undefined) content.reason = reason;
    const [event] = await this.writer.append(roomId, [{ type: 'm.room.redaction', sender: requester.userId, content, redacts: eventId }], {
      device: requester.deviceId,
      txnId,
    });
    const redacted = event && redactsOf(event.pdu, (await this.current.info(roomId))!.version);
    if (redacted !== eventId) throw errors.unknown();
    return event!;
  }

  /** One reaction per user, target and key, as clients expect and Synapse enforces. */
  private async refuseDuplicateAnnotation(sender: string, type: string, content: JsonObject): Promise<void> {
    const rel = content['m.relates_to'];
    if (!isJsonObject(rel) || rel.rel_type !== 'm.annotation' || typeof rel.event_id !== 'string' || typeof rel.key !== 'string') return;
    const existing = await liveRelations(this.db)
      .where({ 'r.relates_to': rel.event_id, 'r.rel_type': 'm.annotation', 'r.aggregation_key': rel.key, 'r.sender': sender, 'r.type': type })
      .first('r.event_id');
    if (existing) throw new MatrixError(400, 'M_DUPLICATE_ANNOTATION', 'You already reacted with this key');
  }

  /** Called after a user forgot a room (sync drops it from the leave section). */
  afterForget: ((userId: string) => void) | undefined;

  async forget(userId: string, roomId: string): Promise<void> {
    await this.db('room_memberships').update({ forgotten: true }).where({ room_id: roomId, user_id: userId });
    this.afterForget?.(userId);
  }

  async requireJoined(userId: string, roomId: string): Promise<void> {
    const info = await this.current.info(roomId);
    if (!info) throw errors.forbidden('You are not in this room');
    if ((await this.current.membership(roomId, userId)) !== 'join') throw errors.forbidden('You are not in this room');
  }

  /** Other servers' aliases, through their `/query/directory`; federation's room layer sets it. */
  remoteAliases: ((alias: string) => Promise<{ roomId: string; servers: string[] }>) | undefined;

  async roomIdFor(roomIdOrAlias: string): Promise<string> {
    return (await this.resolveRoom(roomIdOrAlias)).roomId;
  }

  /** A room ID, or an alias resolved here or on its server, with servers that know the room. */
  async resolveRoom(roomIdOrAlias: string): Promise<{ roomId: string; servers: string[] }> {
    if (roomIdOrAlias.startsWith('!')) return { roomId: roomIdOrAlias, servers: [] };
    if (roomIdOrAlias.startsWith('#')) {
      const aliasServer = roomIdOrAlias.slice(roomIdOrAlias.indexOf(':') + 1);
      if (aliasServer !== this.serverName && this.remoteAliases && roomIdOrAlias.includes(':')) return this.remoteAliases(roomIdOrAlias);
      const row = await this.aliases.resolve(roomIdOrAlias);
      if (!row) throw errors.notFound(`Room alias ${roomIdOrAlias} not found`);
      return { roomId: row.room_id, servers: [] };
    }
    throw errors.invalidParam('Expected a room ID or alias');
  }
}
