import { readFileSync } from 'node:fs';
import { decodeBase64 } from '../../homeserver/src/core/base64.js';
import { signEvent } from '../../homeserver/src/core/event-signing.js';
import type { PDU } from '../../homeserver/src/core/events.js';
import { computeEventId } from '../../homeserver/src/core/ids.js';
import { roomVersion, type RoomVersion } from '../../homeserver/src/core/room-versions.js';
import { publicKeyFromSeed } from '../../homeserver/src/core/signing.js';
import { xMatrixAuthorization } from '../../homeserver/src/components/federation/auth/x-matrix.js';
import type { JsonResponse } from './http.js';
import type { HearthServer } from './server.js';

/**
 * Speaking as a server of the network from the test process: its signing key read from its data
 * folder, requests signed with X-Matrix, PDUs built and signed with the homeserver's pure core.
 * Forged-event scenarios use it to say what a misbehaving server would say.
 */

export interface ServerKey {
  readonly serverName: string;
  /** `ed25519:<version>` */
  readonly keyId: string;
  readonly seed: Uint8Array;
  readonly publicKey: string;
}

/** Reads a server's key file: one line `ed25519 <version> <unpadded base64 seed>`. */
export function readSigningKey(server: HearthServer): ServerKey {
  const line = readFileSync(server.signingKeyPath, 'utf8').split('\n').find((l) => l.trim() !== '');
  const parts = line?.trim().split(/\s+/) ?? [];
  if (parts.length !== 3 || parts[0] !== 'ed25519') throw new Error(`${server.signingKeyPath}: not a signing key file`);
  const seed = decodeBase64(parts[2]!);
  return { serverName: server.name, keyId: `ed25519:${parts[1]}`, seed, publicKey: publicKeyFromSeed(seed) };
}

/** The fields of a PDU a scenario chooses; hashes, signatures and the event ID are computed. */
export interface PduTemplate {
  room_id: string;
  sender: string;
  type: string;
  state_key?: string;
  content: Record<string, unknown>;
  prev_events: string[];
  auth_events: string[];
  depth: number;
  origin_server_ts?: number;
}

export interface SignedPdu {
  eventId: string;
  pdu: PDU;
}

export function requireRoomVersion(id: string): RoomVersion {
  const rv = roomVersion(id);
  if (!rv) throw new Error(`unknown room version ${id}`);
  return rv;
}

export class ActingServer {
  private txnCounter = 0;

  constructor(readonly key: ServerKey) {}

  get name(): string {
    return this.key.serverName;
  }

  /** A PDU hashed and signed with this server's key, and its event ID. */
  signPdu(template: PduTemplate, rv: RoomVersion): SignedPdu {
    const pdu = signEvent({ origin_server_ts: Date.now(), ...template }, rv, this.key.serverName, this.key.keyId, this.key.seed);
    return { eventId: computeEventId(pdu, rv), pdu };
  }

  /** A federation request to `to`, authenticated as this server. */
  request(to: HearthServer, method: string, path: string, body?: unknown): Promise<JsonResponse> {
    const authorization = xMatrixAuthorization(
      { method, uri: path, origin: this.key.serverName, destination: to.name, ...(body !== undefined ? { content: body } : {}) },
      this.key.keyId,
      this.key.seed,
    );
    return to.federation(path, { method, body, headers: { authorization } });
  }

  /** `PUT /_matrix/federation/v1/send/{txnId}` with these PDUs (as they are: forged or not). */
  sendTransaction(to: HearthServer, pdus: readonly unknown[], edus: readonly unknown[] = []): Promise<JsonResponse> {
    const txnId = `harness${Date.now()}_${this.txnCounter++}`;
    const body: Record<string, unknown> = { origin: this.key.serverName, origin_server_ts: Date.now(), pdus };
    if (edus.length > 0) body['edus'] = edus;
    return this.request(to, 'PUT', `/_matrix/federation/v1/send/${txnId}`, body);
  }

  /** A PDU as `to` stores it (`GET /_matrix/federation/v1/event/{eventId}`). */
  async fetchEvent(to: HearthServer, eventId: string): Promise<Record<string, any>> {
    const res = await this.request(to, 'GET', `/_matrix/federation/v1/event/${encodeURIComponent(eventId)}`);
    const pdu = res.status === 200 ? res.body?.pdus?.[0] : undefined;
    if (!pdu) throw new Error(`${to.name} answered ${res.status} to GET /_matrix/federation/v1/event/${eventId}: ${JSON.stringify(res.body)}`);
    return pdu;
  }
}
