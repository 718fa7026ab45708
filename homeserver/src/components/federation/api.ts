import type { IncomingHttpHeaders } from 'node:http';
import type { Context, Middleware } from 'koa';
import type { JsonObject } from '../../core/json.js';
import type { ResolvedServer } from './discovery/resolver.js';
import type { EduHandler } from './inbound/edus.js';
import type { InboundPduHandler } from './inbound/transactions.js';
import type { SignatureBatch, SignatureCheck, SignedItem } from './keys/key-ring.js';
import type { Edu } from './outbound/queue.js';
import type { FederationClient } from './transport/client.js';
import type { ServerAclCheck } from './auth/middleware.js';

/**
 * What other components may ask of federation: the transport and identity layer. The room layer
 * builds joins, inbound PDU checks and backfill on top of it; it mounts its own federation
 * endpoints through `Component.federationRoutes` and protects them with `requireServerAuth` (and
 * `requireServerAcl` for the endpoints the spec lists).
 */
export interface FederationApi {
  readonly serverName: string;

  // ---- outbound requests ----

  /** Signed requests to other servers (discovery, verified TLS, pooling, timeouts, size limits). */
  readonly client: FederationClient;
  /** Where a server name leads (server-server "Resolving server names"); cached. */
  resolveServer(serverName: string): Promise<ResolvedServer>;

  // ---- keys and signatures ----

  /**
   * Checks signatures of other servers in one batch: keys are fetched once per server (directly,
   * then through `federation.trusted_key_servers`), checks run together, results come in order.
   * For events pass the redacted event as `json` (or the event with its encoded redacted form as
   * `signedBytes`), its `origin_server_ts` as `atTs`, and
   * `enforceKeyValidity: roomVersion.enforceKeyValidity`.
   */
  verifySignatures(items: readonly SignedItem[]): Promise<SignatureCheck[]>;
  /**
   * verifySignatures for a batch checked a chunk at a time as the caller encodes it: keys for all
   * of `expected` are fetched once per server now, and each chunk given to `check` starts
   * verifying (on the signature pool's threads) at once. Pass the batch's items as `expected`
   * (their `signedBytes` may come later, with the chunks).
   */
  signatureBatch(expected: readonly SignedItem[]): SignatureBatch;

  // ---- the outbound queue ----

  /**
   * Queues a PDU for each destination (our own name and duplicates are skipped) and returns once
   * it is stored durably. `pdu` is the event exactly as it goes over federation (signed, hashed,
   * without local-only `unsigned` data); it is stored once however many destinations wait for it. `position`, the event's stream position, is remembered so that after a
   * crash between persisting an event and queueing it the room layer can queue again everything
   * after `lastQueuedPosition()`.
   */
  enqueuePdu(eventId: string, pdu: JsonObject, destinations: Iterable<string>, options?: { position?: number }): Promise<void>;
  /**
   * Queues an EDU for each destination. With `coalesceKey` (e.g. `m.typing|!room|@user`) a queued,
   * not yet sent EDU with the same key is replaced: after an outage only the latest state goes out.
   */
  enqueueEdu(edu: Edu, destinations: Iterable<string>, options?: { coalesceKey?: string }): Promise<void>;
  /** The highest `position` given to enqueuePdu; undefined before the first. */
  lastQueuedPosition(): Promise<number | undefined>;

  // ---- inbound ----

  /** Receives the PDUs of inbound `/send` transactions. Until one is set, PDUs are ignored. */
  setInboundPduHandler(handler: InboundPduHandler): void;
  /** Receives inbound EDUs of one type (`m.typing`, `m.receipt`, `m.direct_to_device`, …). */
  registerEduHandler(eduType: string, handler: EduHandler): () => void;
  /**
   * The room layer's server ACL decision (use core/server-acl.ts on the room's current
   * `m.room.server_acl`). Applied to typing and receipt EDUs here, and by `requireServerAcl`.
   */
  setServerAclCheck(check: ServerAclCheck): void;

  /** Koa middleware: 401 M_UNAUTHORIZED unless the request carries a valid X-Matrix signature. */
  readonly requireServerAuth: Middleware;
  /** Koa middleware after requireServerAuth: 403 M_FORBIDDEN when the room's ACL denies the origin. */
  requireServerAcl(roomIdOf: (ctx: Context) => string | undefined): Middleware;
  /**
   * Authenticates a request outside the federation router (the media component's federation
   * endpoints); throws MatrixError 401 M_UNAUTHORIZED. `content` is the parsed body, if any.
   */
  authenticateRequest(request: { method: string; uri: string; headers: IncomingHttpHeaders; content?: unknown }): Promise<{ origin: string }>;
}

export type { SignedItem, SignatureCheck, SignatureBatch } from './keys/key-ring.js';
export type { InboundPduHandler, PduResults } from './inbound/transactions.js';
export type { EduHandler } from './inbound/edus.js';
export type { Edu } from './outbound/queue.js';
export type { ServerAclCheck } from './auth/middleware.js';
export type { FederationClient, FederationRequestOptions, FederationRawResponse } from './transport/client.js';
export type { ResolvedServer } from './discovery/resolver.js';
export { getOrigin, signedContent } from './auth/middleware.js';
export { federationPath } from './transport/client.js';
export { FederationRequestError, type FederationFailure } from './transport/errors.js';
