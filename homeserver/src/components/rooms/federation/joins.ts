import type { Knex } from 'knex';
import { canonicalJson } from '../../../core/canonical-json.js';
import { signEvent } from '../../../core/event-signing.js';
import { stateKey, type PDU, type StateMap } from '../../../core/events.js';
import { computeEventId } from '../../../core/ids.js';
import { isJsonObject, type JsonObject } from '../../../core/json.js';
import { roomVersion, type RoomVersion } from '../../../core/room-versions.js';
import { errors, MatrixError } from '../../../http/errors.js';
import { federationPath, FederationRequestError } from '../../federation/api.js';
import type { StateResEvent } from '../../../core/state-res/index.js';
import { serverOf } from '../hosts.js';
import { asRoomEvent, checkAgainstState } from './auth-check.js';
import type { RoomFederationContext } from './context.js';
import type { EventIngest } from './ingest.js';
import { applyCurrentState, persistTimelineEvent } from './persist.js';
import type { RemoteMemberships } from './remote-memberships.js';
import { supportedVersionIds } from './resident.js';
import { verifyPdus, type CheckedPdu } from './verify.js';

type Kind = 'join' | 'leave' | 'knock';

/**
 * Our users joining, knocking on and leaving rooms that live on other servers: `make_*` to get a
 * template from a resident server, sign it, `send_*` it, and for joins take the room's state from
 * the answer (checked event by event) as the starting point of our copy of the room.
 */
export class RemoteJoins {
  constructor(
    private readonly ctx: RoomFederationContext,
    private readonly ingest: EventIngest,
    private readonly remoteMemberships: RemoteMemberships,
  ) {}

  private async handshake(kind: Kind, roomId: string, userId: string, servers: readonly string[], content: JsonObject): Promise<{ server: string; rv: RoomVersion; event: CheckedPdu; answer: Record<string, unknown> }> {
    const candidates = [...new Set(servers)].filter((s) => s !== this.ctx.serverName);
    if (candidates.length === 0) throw errors.notFound('No known servers to reach this room through');
    let lastError: unknown;
    for (const server of candidates) {
      try {
        const make = await this.ctx.federation.client.requestJson<{ event?: unknown; room_version?: unknown }>(server, {
          method: 'GET',
          path: federationPath`/_matrix/federation/v1/make_${kind}/${roomId}/${userId}`,
          query: kind === 'leave' ? undefined : { ver: supportedVersionIds() },
        });
        const rv = roomVersion(typeof make.room_version === 'string' ? make.room_version : '1');
        if (!rv?.supported) throw new MatrixError(400, 'M_UNSUPPORTED_ROOM_VERSION', `The room's version ${String(make.room_version)} is not supported by this server`);
        if (!isJsonObject(make.event)) throw new MatrixError(502, 'M_UNKNOWN', `${server} answered make_${kind} without an event`);
        const template = make.event;
        if (template.type !== 'm.room.member' || template.state_key !== userId || template.sender !== userId || template.room_id !== roomId) {
          throw new MatrixError(502, 'M_UNKNOWN', `${server} proposed an event that is not our ${kind}`);
        }
        const templContent = isJsonObject(template.content) ? template.content : {};
        const proposed: Record<string, unknown> = { ...template, content: { ...templContent, ...content, membership: kind }, origin_server_ts: Date.now() };
        delete proposed.signatures;
        delete proposed.hashes;
        delete proposed.unsigned;
        delete proposed.event_id;
        const signed = signEvent(proposed, rv, this.ctx.serverName, this.ctx.signingKey.keyId, this.ctx.signingKey.seed);
        const eventId = computeEventId(signed, rv);
        const path = kind === 'knock' ? federationPath`/_matrix/federation/v1/send_knock/${roomId}/${eventId}` : federationPath`/_matrix/federation/v2/send_${kind}/${roomId}/${eventId}`;
        const answer = await this.ctx.federation.client.requestJson<Record<string, unknown>>(server, { method: 'PUT', path, body: signed, maxResponseBytes: 512 * 1024 * 1024, timeoutMs: 120_000 });
        return { server, rv, event: { eventId, pdu: signed, json: canonicalJson(signed) }, answer };
      } catch (err) {
        lastError = err;
        this.ctx.log.info({ err, server, roomId, kind }, `make/send_${kind} through a server failed`);
        if (err instanceof MatrixError && err.errcode === 'M_UNSUPPORTED_ROOM_VERSION') throw err;
      }
    }
    if (lastError instanceof FederationRequestError && lastError.status === 403) throw errors.forbidden(`The ${kind} was refused: ${lastError.errcode ?? 'M_FORBIDDEN'}`);
    if (lastError instanceof FederationRequestError && lastError.status === 404) throw errors.notFound('No server could be reached that knows this room');
    if (lastError instanceof MatrixError) throw lastError;
    throw new MatrixError(502, 'M_UNKNOWN', `Could not ${kind} the room through any server`);
  }

  /** Joins a room of other servers; resolves once our copy of the room exists with the join in it. */
  async join(roomId: string, userId: string, servers: readonly string[], content: JsonObject): Promise<void> {
    const { server, rv, event, answer } = await this.handshake('join', roomId, userId, servers, content);
    // A restricted join comes back countersigned by the resident server that vouched for it.
    let join = event;
    if (isJsonObject(answer.event)) {
      const [c] = await verifyPdus([answer.event], rv, this.ctx.federation);
      if (c?.ok && c.event.eventId === event.eventId) join = c.event;
    }
    const stateValues = Array.isArray(answer.state) ? answer.state : [];
    const chainValues = Array.isArray(answer.auth_chain) ? answer.auth_chain : [];
    await this.ctx.writer.inRoom(roomId, async () => {
      if (await this.ctx.infos.get(roomId)) {
        // Joined meanwhile by another of our users: the join is an ordinary event now.
        await this.ingest.ingest(server, (await this.ctx.infos.get(roomId))!, join, 'live');
        return;
      }
      // One pass over everything: the state's results are the last ones, in order.
      const checked = await verifyPdus([...chainValues, ...stateValues], rv, this.ctx.federation);
      const good = checked.flatMap((c) => (c.ok ? [c.event] : []));
      // The room's own rows go to the database on another connection while the events are written.
      const { lookup, written } = await this.ingest.checkOutliers(roomId, rv, good);
      const stateIds = new Set(checked.slice(chainValues.length).flatMap((c) => (c.ok ? [c.event.eventId] : [])));
      const state: StateMap = new Map();
      for (const id of stateIds) {
        const e = lookup.get(id);
        if (!e || e.rejected || e.state_key === undefined) continue;
        state.set(stateKey(e.type, e.state_key), id);
      }
      if (!state.has(stateKey('m.room.create', ''))) throw new MatrixError(502, 'M_UNKNOWN', `${server} sent a room state without a create event`);
      const verdict = await checkAgainstState(asRoomEvent(join), state, rv, this.ctx.events, lookup);
      if (!verdict.ok) throw errors.forbidden(`The join is not allowed by the room's state: ${verdict.reason}`);
      await this.createRoomFromJoin(roomId, rv, join, state, lookup, written);
    });
    await this.ctx.db('remote_memberships').where({ room_id: roomId, user_id: userId }).delete();
  }

  private async createRoomFromJoin(roomId: string, rv: RoomVersion, join: CheckedPdu, state: StateMap, lookup: ReadonlyMap<string, StateResEvent>, outliersWritten: Promise<void>): Promise<void> {
    const { db, events, groups, infos, stream, bus } = this.ctx;
    const stateAfter = new Map(state);
    stateAfter.set(stateKey('m.room.member', join.pdu.state_key!), join.eventId);
    const memberEvents = new Map<string, Pick<PDU, 'content' | 'state_key'>>();
    for (const [k, id] of stateAfter) {
      if (!k.startsWith('m.room.member\u0000')) continue;
      const e = id === join.eventId ? join.pdu : lookup.get(id);
      if (e) memberEvents.set(id, { content: e.content, state_key: e.state_key });
    }
    const createId = state.get(stateKey('m.room.create', ''))!;
    const creator = lookup.get(createId)?.sender ?? null;
    const reservation = stream.reserve(1);
    try {
      const result = await db.transaction(async (trx: Knex.Transaction) => {
        await trx('rooms').insert({ room_id: roomId, room_version: rv.id, creator, created_ts: Date.now(), current_state_group: null }).onConflict('room_id').ignore();
        const before = { id: await groups.create(trx, roomId, state, undefined), state };
        const { stored, after } = await persistTimelineEvent(trx, events, groups, {
          roomId,
          version: rv,
          event: join,
          streamOrdering: reservation.ids[0]!,
          before,
          stateAfter,
          rejectedReason: null,
          softFailed: false,
          wasOutlier: (await trx('events').where('event_id', join.eventId).first()) !== undefined,
        });
        await applyCurrentState(trx, { roomId, oldGroup: undefined, newGroup: after, oldExtremities: [], newExtremities: [join.eventId], streamOrdering: reservation.ids[0]!, memberEvents });
        // The room must not exist without the events its state names: it commits after them, or not at all.
        await outliersWritten;
        return { stored, before, after };
      });
      events.remember(result.stored);
      groups.remember(result.before.id, result.before.state);
      groups.remember(result.after.id, result.after.state);
      infos.set({ roomId, version: rv, extremities: [join.eventId], maxDepth: join.pdu.depth, stateGroup: result.after.id, state: result.after.state });
      bus.emit([result.stored]);
    } catch (err) {
      infos.forget(roomId);
      throw err;
    } finally {
      reservation.done();
    }
  }

  /** Knocks on a room of other servers; the knock is recorded with the room's stripped state. */
  async knock(roomId: string, userId: string, servers: readonly string[], content: JsonObject): Promise<void> {
    const { server, rv, event, answer } = await this.handshake('knock', roomId, userId, servers, content);
    const stripped = Array.isArray(answer.knock_room_state) ? answer.knock_room_state.filter(isJsonObject) : [];
    await this.remoteMemberships.record(event, rv, server, stripped);
  }

  /** Rejects an invite to, or withdraws a knock on, a room we are not in. */
  async leave(roomId: string, userId: string, reason: string | undefined): Promise<void> {
    const current = await this.remoteMemberships.get(roomId, userId);
    if (!current || (current.membership !== 'invite' && current.membership !== 'knock')) throw errors.forbidden('You are not in the room');
    const servers = [current.viaServer];
    if (!roomVersion(current.roomVersion)?.roomIdFromCreateEvent && roomId.includes(':')) servers.push(serverOf(roomId));
    const content: JsonObject = reason !== undefined ? { reason } : {};
    try {
      const { rv, event } = await this.handshake('leave', roomId, userId, servers, content);
      await this.remoteMemberships.record(event, rv, current.viaServer, undefined);
    } catch (err) {
      // The inviting server may be gone for good: the user must still be able to get rid of the invite.
      this.ctx.log.info({ err, roomId }, 'the leave could not reach the room; recorded locally only');
      const rv = roomVersion(current.roomVersion)!;
      const local = signEvent(
        { room_id: roomId, type: 'm.room.member', state_key: userId, sender: userId, content: { ...content, membership: 'leave' }, origin_server_ts: Date.now(), prev_events: [], auth_events: [], depth: 1 },
        rv,
        this.ctx.serverName,
        this.ctx.signingKey.keyId,
        this.ctx.signingKey.seed,
      );
      await this.remoteMemberships.record({ eventId: computeEventId(local, rv), pdu: local, json: canonicalJson(local) }, rv, current.viaServer, undefined);
    }
  }
}
