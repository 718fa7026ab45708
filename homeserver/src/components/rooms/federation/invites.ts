import { canonicalJson } from '../../../core/canonical-json.js';
import { signEvent } from '../../../core/event-signing.js';
import { isJsonObject, type JsonObject } from '../../../core/json.js';
import { roomVersion } from '../../../core/room-versions.js';
import { errors, MatrixError } from '../../../http/errors.js';
import { federationPath, FederationRequestError } from '../../federation/api.js';
import type { BuiltEvent } from '../pipeline/build.js';
import { serverOf } from '../hosts.js';
import type { RoomFederationContext } from './context.js';
import type { RemoteMemberships } from './remote-memberships.js';
import type { ResidentHandshakes } from './resident.js';
import { verifyPdus } from './verify.js';

/**
 * Invites across servers (server-server "Inviting to a room"): the inviting server asks the
 * invitee's server to countersign the invite before anyone else sees it.
 */
export class Invites {
  constructor(
    private readonly ctx: RoomFederationContext,
    private readonly remoteMemberships: RemoteMemberships,
    private readonly resident: ResidentHandshakes,
    private readonly isLocalUser: (userId: string) => Promise<boolean>,
  ) {}

  /** `PUT /_matrix/federation/v2/invite/{roomId}/{eventId}` on the invitee's server (us). */
  async receive(origin: string, roomId: string, eventId: string, body: { room_version: string; event: unknown; invite_room_state?: unknown }): Promise<JsonObject> {
    const rv = roomVersion(body.room_version);
    if (!rv || !rv.supported) throw new MatrixError(400, 'M_INCOMPATIBLE_ROOM_VERSION', `Room version ${body.room_version} is not supported`, { room_version: body.room_version });
    const [checked] = await verifyPdus([body.event], rv, this.ctx.federation);
    if (!checked?.ok) throw errors.badJson(checked && !checked.ok ? checked.error : 'missing event');
    const { pdu } = checked.event;
    if (checked.event.eventId !== eventId) throw errors.badJson('The event ID in the path does not match the event');
    if (pdu.room_id !== roomId) throw errors.badJson('The event belongs to another room');
    if (pdu.type !== 'm.room.member' || pdu.content.membership !== 'invite' || typeof pdu.state_key !== 'string') throw errors.badJson('Not an invite');
    if (serverOf(pdu.sender) !== origin) throw errors.forbidden('The sender does not belong to the requesting server');
    if (serverOf(pdu.state_key) !== this.ctx.serverName) throw errors.badJson('The invitee is not a user of this server');
    if (!(await this.isLocalUser(pdu.state_key))) throw errors.notFound('Unknown user');
    const signed = signEvent(pdu, rv, this.ctx.serverName, this.ctx.signingKey.keyId, this.ctx.signingKey.seed);
    // In a room we are in, the invite arrives again through /send and takes the usual path.
    if (!(await this.ctx.infos.get(roomId))) {
      const stripped = Array.isArray(body.invite_room_state) ? body.invite_room_state.filter(isJsonObject) : [];
      await this.remoteMemberships.record({ eventId, pdu: signed, json: canonicalJson(signed) }, rv, origin, stripped);
    }
    return { event: signed as unknown as JsonObject };
  }

  /**
   * Before our invite of another server's user is persisted: that server countersigns it. Its
   * refusal refuses the invite.
   */
  async countersign(built: BuiltEvent, roomId: string): Promise<BuiltEvent> {
    const invitee = built.pdu.state_key!;
    const destination = serverOf(invitee);
    const info = await this.ctx.infos.get(roomId);
    if (!info) throw errors.notFound('Unknown room');
    const stripped = await this.resident.strippedState(roomId);
    let answer: { event?: unknown };
    try {
      answer = await this.ctx.federation.client.requestJson<{ event?: unknown }>(destination, {
        method: 'PUT',
        path: federationPath`/_matrix/federation/v2/invite/${roomId}/${built.eventId}`,
        body: { room_version: info.version.id, event: built.pdu, invite_room_state: stripped },
      });
    } catch (err) {
      if (err instanceof FederationRequestError && err.status !== undefined && err.status >= 400 && err.status < 500) {
        throw new MatrixError(403, 'M_FORBIDDEN', `${destination} refused the invite: ${err.errcode ?? err.status}`);
      }
      throw new MatrixError(502, 'M_UNKNOWN', `Could not reach ${destination} to invite ${invitee}`);
    }
    const [checked] = await verifyPdus([answer.event], info.version, this.ctx.federation);
    if (!checked?.ok || checked.event.eventId !== built.eventId) throw new MatrixError(502, 'M_UNKNOWN', `${destination} answered the invite with another event`);
    const sigs = checked.event.pdu.signatures;
    if (!sigs[destination]) throw new MatrixError(502, 'M_UNKNOWN', `${destination} did not sign the invite`);
    return { ...built, pdu: checked.event.pdu, json: checked.event.json };
  }
}
