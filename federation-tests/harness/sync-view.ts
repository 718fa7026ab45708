/**
 * What a client has learnt from all its /sync answers so far, so that a scenario asks "has X
 * arrived?" regardless of which answer carried it. Pure: `apply` takes one /sync body.
 */

export interface ClientEvent {
  type: string;
  content: Record<string, any>;
  sender?: string;
  event_id?: string;
  state_key?: string;
  origin_server_ts?: number;
  redacts?: string;
  unsigned?: Record<string, any>;
  room_id?: string;
}

export type Membership = 'join' | 'invite' | 'leave' | 'knock';

export interface RoomView {
  readonly roomId: string;
  /** Where this room was listed in the last answer that mentioned it. */
  membership: Membership;
  /** Every timeline event seen, in order of arrival. */
  readonly timeline: ClientEvent[];
  /** Current state as known: `type\0state_key` → event (timeline state events included). */
  readonly state: Map<string, ClientEvent>;
  /** Stripped state of an invite. */
  inviteState: ClientEvent[];
  /** Ephemeral events (typing, receipts), every one seen. */
  readonly ephemeral: ClientEvent[];
  /** Users typing, as of the last typing notification. */
  typing: string[];
}

/** Ephemeral events kept per room: receipts and typing notices are small but unbounded otherwise. */
const MAX_EPHEMERAL = 500;

const stateKey = (type: string, key: string): string => `${type}\u0000${key}`;

export class SyncView {
  readonly rooms = new Map<string, RoomView>();
  readonly presence = new Map<string, Record<string, any>>();
  readonly toDevice: ClientEvent[] = [];
  /** Users whose device lists changed (`device_lists.changed`), every one seen. */
  readonly deviceListsChanged = new Set<string>();
  readonly accountData = new Map<string, Record<string, any>>();
  oneTimeKeyCounts: Record<string, number> = {};
  nextBatch: string | undefined;
  answers = 0;

  private roomView(roomId: string, membership: Membership): RoomView {
    let room = this.rooms.get(roomId);
    if (!room) {
      room = { roomId, membership, timeline: [], state: new Map(), inviteState: [], ephemeral: [], typing: [] };
      this.rooms.set(roomId, room);
    }
    room.membership = membership;
    return room;
  }

  apply(body: any): void {
    this.answers++;
    this.nextBatch = body.next_batch;
    const rooms = body.rooms ?? {};
    for (const [membership, section] of [['join', rooms.join], ['leave', rooms.leave], ['invite', rooms.invite], ['knock', rooms.knock]] as const) {
      for (const [roomId, r] of Object.entries<any>(section ?? {})) {
        const room = this.roomView(roomId, membership);
        if (membership === 'invite' || membership === 'knock') {
          room.inviteState = r.invite_state?.events ?? r.knock_state?.events ?? [];
          continue;
        }
        for (const e of [...(r.state?.events ?? []), ...(r.state_after?.events ?? [])]) this.setState(room, e);
        for (const e of r.timeline?.events ?? []) {
          room.timeline.push(e);
          if (typeof e.state_key === 'string') this.setState(room, e);
        }
        for (const e of r.ephemeral?.events ?? []) {
          room.ephemeral.push(e);
          if (e.type === 'm.typing') room.typing = e.content?.user_ids ?? [];
        }
        if (room.ephemeral.length > MAX_EPHEMERAL) room.ephemeral.splice(0, room.ephemeral.length - MAX_EPHEMERAL);
      }
    }
    for (const e of body.presence?.events ?? []) this.presence.set(e.sender, e.content ?? {});
    for (const e of body.to_device?.events ?? []) this.toDevice.push(e);
    for (const u of body.device_lists?.changed ?? []) this.deviceListsChanged.add(u);
    for (const e of body.account_data?.events ?? []) this.accountData.set(e.type, e.content ?? {});
    if (body.device_one_time_keys_count) this.oneTimeKeyCounts = body.device_one_time_keys_count;
  }

  private setState(room: RoomView, e: ClientEvent): void {
    room.state.set(stateKey(e.type, e.state_key ?? ''), e);
  }

  room(roomId: string): RoomView | undefined {
    return this.rooms.get(roomId);
  }

  event(roomId: string, eventId: string): ClientEvent | undefined {
    return this.rooms.get(roomId)?.timeline.find((e) => e.event_id === eventId);
  }

  /** The first timeline event of the room that `match` accepts. */
  findEvent(roomId: string, match: (e: ClientEvent) => boolean): ClientEvent | undefined {
    return this.rooms.get(roomId)?.timeline.find(match);
  }

  stateEvent(roomId: string, type: string, key = ''): ClientEvent | undefined {
    return this.rooms.get(roomId)?.state.get(stateKey(type, key));
  }

  /** A user's membership in a room as this client's state shows it. */
  membershipOf(roomId: string, userId: string): string | undefined {
    return this.stateEvent(roomId, 'm.room.member', userId)?.content['membership'];
  }

  /** Whether `userId` has a receipt of `receiptType` on `eventId` in this room. */
  hasReceipt(roomId: string, eventId: string, userId: string, receiptType = 'm.read'): boolean {
    return (this.rooms.get(roomId)?.ephemeral ?? []).some((e) => e.type === 'm.receipt' && e.content[eventId]?.[receiptType]?.[userId] !== undefined);
  }
}
