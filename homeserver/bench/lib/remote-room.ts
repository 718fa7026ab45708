import { signEvent } from '../../src/core/event-signing.js';
import { stateKey, type PDU } from '../../src/core/events.js';
import { computeEventId } from '../../src/core/ids.js';
import type { JsonObject } from '../../src/core/json.js';
import { roomVersion, type RoomVersion } from '../../src/core/room-versions.js';

/** The signing identity of a server the bench plays. */
export interface BenchServerKey {
  serverName: string;
  keyId: string;
  seed: Buffer;
  publicKey: string;
}

export interface RoomEventFields {
  type: string;
  state_key?: string;
  sender: string;
  content: JsonObject;
}

/**
 * A room held by the bench's remote server: a linear DAG of events it signs (each cites the
 * previous one in prev_events), with the current state kept as the events go in. Room version 11.
 */
export class RemoteRoom {
  readonly rv: RoomVersion = roomVersion('11')!;
  readonly events = new Map<string, PDU>();
  /** Event IDs in the order they were added (also DAG order). */
  readonly order: string[] = [];
  readonly state = new Map<string, string>();
  private depth = 0;
  private ts: number;
  readonly createId: string;
  readonly creatorJoinId: string;
  readonly powerLevelsId: string;
  readonly joinRulesId: string;

  /** A public room made by `creator`: create event, the creator's join, power levels, join rules. */
  constructor(
    readonly key: BenchServerKey,
    readonly roomId: string,
    readonly creator: string,
  ) {
    this.ts = Date.now();
    this.createId = this.add({ type: 'm.room.create', state_key: '', sender: creator, content: { room_version: this.rv.id } }, []);
    this.creatorJoinId = this.add({ type: 'm.room.member', state_key: creator, sender: creator, content: { membership: 'join' } }, [this.createId]);
    this.powerLevelsId = this.add(
      {
        type: 'm.room.power_levels',
        state_key: '',
        sender: creator,
        content: { users: { [creator]: 100 }, users_default: 0, events_default: 0, state_default: 50, ban: 50, kick: 50, redact: 50, invite: 0, events: {} },
      },
      [this.createId, this.creatorJoinId],
    );
    this.joinRulesId = this.add({ type: 'm.room.join_rules', state_key: '', sender: creator, content: { join_rule: 'public' } }, [this.createId, this.powerLevelsId, this.creatorJoinId]);
  }

  get last(): string {
    return this.order[this.order.length - 1]!;
  }

  get lastDepth(): number {
    return this.depth;
  }

  /** Signs an event citing the current last event, appends it and returns its ID. */
  add(fields: RoomEventFields, authEvents: readonly string[]): string {
    const proto: Record<string, unknown> = {
      room_id: this.roomId,
      type: fields.type,
      sender: fields.sender,
      content: fields.content,
      origin_server_ts: this.ts++,
      prev_events: this.order.length > 0 ? [this.last] : [],
      auth_events: [...authEvents],
      depth: this.depth + 1,
    };
    if (fields.state_key !== undefined) proto.state_key = fields.state_key;
    const pdu = signEvent(proto, this.rv, this.key.serverName, this.key.keyId, this.key.seed);
    return this.append(pdu);
  }

  /** An event signed elsewhere (another server's join, sent to us through send_join). */
  append(pdu: PDU): string {
    const id = computeEventId(pdu, this.rv);
    this.events.set(id, pdu);
    this.order.push(id);
    this.depth = Math.max(this.depth, pdu.depth);
    if (pdu.state_key !== undefined) this.state.set(stateKey(pdu.type, pdu.state_key), id);
    return id;
  }

  /** A join of a user of the remote server; public join rule, so create, power levels and join rules authorise it. */
  join(userId: string): string {
    return this.add({ type: 'm.room.member', state_key: userId, sender: userId, content: { membership: 'join' } }, [this.createId, this.powerLevelsId, this.joinRulesId]);
  }

  /** A text message by a joined member. */
  message(sender: string, body: string): string {
    const member = this.state.get(stateKey('m.room.member', sender));
    if (!member) throw new Error(`${sender} is not in the room`);
    return this.add({ type: 'm.room.message', sender, content: { msgtype: 'm.text', body } }, [this.createId, this.powerLevelsId, member]);
  }

  /** What `make_join` answers for a user of another server. */
  joinTemplate(userId: string): JsonObject {
    return {
      room_id: this.roomId,
      type: 'm.room.member',
      state_key: userId,
      sender: userId,
      content: { membership: 'join' },
      origin: userId.slice(userId.indexOf(':') + 1),
      origin_server_ts: Date.now(),
      prev_events: [this.last],
      auth_events: [this.createId, this.powerLevelsId, this.joinRulesId],
      depth: this.depth + 1,
    };
  }

  private answer: { at: number; body: Buffer } | undefined;

  /**
   * The `send_join` (v2) answer for the room as it is now, serialised once and kept until the room
   * changes: every current state event, and their auth chain (the four events that start the room).
   */
  joinAnswer(): Buffer {
    if (this.answer?.at !== this.order.length) {
      const state = [...this.state.values()].map((id) => this.events.get(id)!);
      const authChain = [this.createId, this.creatorJoinId, this.powerLevelsId, this.joinRulesId].map((id) => this.events.get(id)!);
      const body = { origin: this.key.serverName, state, auth_chain: authChain, members_omitted: false, servers_in_room: [this.key.serverName] };
      this.answer = { at: this.order.length, body: Buffer.from(JSON.stringify(body)) };
    }
    return this.answer.body;
  }
}
