import type { TestFn } from 'ava';
import { signEvent } from '../../src/core/event-signing.js';
import type { PDU } from '../../src/core/events.js';
import { computeEventId } from '../../src/core/ids.js';
import { roomVersion } from '../../src/core/room-versions.js';
import { C, enc, federationCall, newUser, startServers, type FederationNetwork, type TestUser } from '../federation-edus/helpers.js';

/** What a new event of `roomId` builds on as `server` holds the room: its forward extremities, depth and state. */
export async function roomTips(net: FederationNetwork, server: string, roomId: string): Promise<{ prev: string[]; depth: number; state: (type: string, key?: string) => string }> {
  const db = net.server(server).hs.database.db;
  const prev = ((await db('room_forward_extremities').select('event_id').where('room_id', roomId)) as Array<{ event_id: string }>).map((r) => r.event_id);
  const depth = Number(((await db('events').max({ d: 'depth' }).where('room_id', roomId).first()) as { d: number }).d);
  const rows = (await db('current_state').select('type', 'state_key', 'event_id').where('room_id', roomId)) as Array<{ type: string; state_key: string; event_id: string }>;
  const map = new Map(rows.map((r) => [`${r.type}|${r.state_key}`, r.event_id]));
  return {
    prev,
    depth,
    state: (type, key = '') => {
      const id = map.get(`${type}|${key}`);
      if (!id) throw new Error(`no ${type} ${key} in the state`);
      return id;
    },
  };
}

/** Signs an event as `server` would (hashes and signature), room version 11 by default. */
export function forge(net: FederationNetwork, server: string, fields: Record<string, unknown>, version = '11'): { pdu: PDU; eventId: string } {
  const rv = roomVersion(version)!;
  const hs = net.server(server).hs;
  const pdu = signEvent({ origin_server_ts: Date.now(), ...fields }, rv, server, hs.signingKey.keyId, hs.signingKey.seed);
  return { pdu, eventId: computeEventId(pdu, rv) };
}

let n = 0;
/** Pushes PDUs from `from` to `to` in one `/send` transaction; answers the per-PDU results. */
export async function push(net: FederationNetwork, from: string, to: string, pdus: unknown[]): Promise<Record<string, { error?: string }>> {
  const path = `/_matrix/federation/v1/send/forge-${Date.now()}-${++n}`;
  const res = await federationCall(net, from, to, { method: 'PUT', path, body: { origin: from, origin_server_ts: Date.now(), pdus } });
  if (res.status !== 200) throw new Error(`send: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.pdus;
}

type Tips = Awaited<ReturnType<typeof roomTips>>;

/**
 * `sender`'s next event on top of `tips`, forged by `server`: authorised by the create event, the
 * power levels and the sender's membership in that state.
 */
export function forgeNext(net: FederationNetwork, server: string, tips: Tips, roomId: string, sender: string, fields: { type: string; state_key?: string; content: Record<string, unknown> }): { pdu: PDU; eventId: string } {
  return forge(net, server, {
    room_id: roomId,
    sender,
    ...fields,
    prev_events: tips.prev,
    auth_events: [tips.state('m.room.create'), tips.state('m.room.power_levels'), tips.state('m.room.member', sender)],
    depth: tips.depth + 1,
  });
}

export interface SharedRoom {
  net: FederationNetwork;
  alice: TestUser;
  bob: TestUser;
  roomId: string;
}

/** `sharedRoom()` for all the tests of a file: made before them (handed to `set`), closed after. */
export function withSharedRoom(test: TestFn, set: (room: SharedRoom) => void): void {
  let net: FederationNetwork | undefined;
  test.before(async () => {
    const room = await sharedRoom();
    net = room.net;
    set(room);
  });
  test.after.always(() => net?.close());
}

/** hs1 and hs2, alice of hs1 in a public room of hers that bob of hs2 has joined. */
async function sharedRoom(): Promise<SharedRoom> {
  const net = await startServers(['hs1.test', 'hs2.test']);
  const alice = await newUser(net.server('hs1.test'), 'alice');
  const bob = await newUser(net.server('hs2.test'), 'bob');
  const roomId = (await alice.call('POST', `${C}/createRoom`, { preset: 'public_chat' })).body.room_id as string;
  const joined = await bob.call('POST', `${C}/join/${enc(roomId)}?via=hs1.test`, {});
  if (joined.status !== 200) throw new Error(JSON.stringify(joined.body));
  return { net, alice, bob, roomId };
}
