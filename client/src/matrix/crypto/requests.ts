import type { HttpClient } from '../http';

/** What the crypto machine asks us to send, reduced to what we need to route it. */
export interface OutgoingLike {
  id: string;
  type: number;
  body: string;
  event_type?: string;
  txn_id?: string;
  room_id?: string;
  version?: string;
}

/** matrix-sdk-crypto's RequestType, by number (the enum is in the WebAssembly module). */
export const REQUEST_TYPES = { KeysUpload: 0, KeysQuery: 1, KeysClaim: 2, ToDevice: 3, SignatureUpload: 4, RoomMessage: 5, KeysBackup: 6 } as const;

const C = '/_matrix/client/v3';
const enc = encodeURIComponent;

/** The HTTP request that carries one outgoing crypto request. Pure, so it is unit-tested. */
export function routeRequest(r: OutgoingLike): { method: string; path: string; query?: Record<string, string>; body: unknown } {
  const body = JSON.parse(r.body) as unknown;
  switch (r.type) {
    case REQUEST_TYPES.KeysUpload:
      return { method: 'POST', path: `${C}/keys/upload`, body };
    case REQUEST_TYPES.KeysQuery:
      return { method: 'POST', path: `${C}/keys/query`, body };
    case REQUEST_TYPES.KeysClaim:
      return { method: 'POST', path: `${C}/keys/claim`, body };
    case REQUEST_TYPES.ToDevice:
      return { method: 'PUT', path: `${C}/sendToDevice/${enc(r.event_type!)}/${enc(r.txn_id!)}`, body };
    case REQUEST_TYPES.SignatureUpload:
      return { method: 'POST', path: `${C}/keys/signatures/upload`, body };
    case REQUEST_TYPES.RoomMessage:
      return { method: 'PUT', path: `${C}/rooms/${enc(r.room_id!)}/send/${enc(r.event_type!)}/${enc(r.txn_id!)}`, body };
    case REQUEST_TYPES.KeysBackup:
      return { method: 'PUT', path: `${C}/room_keys/keys`, query: { version: r.version! }, body };
    default:
      throw new Error(`Unknown crypto request type ${r.type}`);
  }
}

export async function sendRequest(http: HttpClient, r: OutgoingLike): Promise<string> {
  const route = routeRequest(r);
  const res = await http.request<unknown>(route.method, route.path, { body: route.body, ...(route.query ? { query: route.query } : {}) });
  return JSON.stringify(res ?? {});
}
